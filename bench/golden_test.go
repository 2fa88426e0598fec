package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/kgroup/kgroup/assignors"
	"github.com/kgroup/kgroup/spec"
)

var goldenPrint = flag.Bool("golden.print", false, "print the golden digests instead of checking them")

// TestGoldenPlans pins the exact plans (the SHA-256 of their JSON) of kgroup's
// sticky assignors on every benchmark shape, as recorded before the
// existing-ownership path was optimised: the speed-ups must not change a
// byte. kgroup's franz-go balancer on the shape's JoinGroup bytes
// (WireImpls), its SyncGroup bytes decoded, must give the very same plans. Regenerate, only for an intended change of behaviour, with
// `go test -run TestGoldenPlans -golden.print -v`.
func TestGoldenPlans(t *testing.T) {
	for _, name := range ShapeNames() {
		shape := ShapeByName(name)
		for _, a := range []assignors.Assignor{assignors.Sticky{}, assignors.CooperativeSticky{}} {
			key := name + "/" + a.Name()
			got := planDigest(t, a, shape)
			if *goldenPrint {
				fmt.Printf("\t%q: %q,\n", key, got)
			} else if want := goldenPlans[key]; got != want {
				t.Errorf("%s: plan digest %s, recorded %s", key, got, want)
			}
		}
		for _, impl := range WireImpls() {
			if !strings.HasPrefix(impl.Name, "kgroup") {
				continue
			}
			out, err := impl.Run(impl.Prepare(shape))
			if err != nil {
				t.Fatal(err)
			}
			a := map[string]string{"kgroup-sticky": "sticky", "kgroup-coop": "cooperative-sticky"}[impl.Name]
			if got, want := digest(t, impl.Plan(out)), goldenPlans[name+"/"+a]; got != want && !*goldenPrint {
				t.Errorf("%s/%s from JoinGroup bytes: plan digest %s, recorded %s", name, a, got, want)
			}
		}
	}
}

func planDigest(t *testing.T, a assignors.Assignor, s Shape) string {
	plan, err := a.Assign(s.Topics, s.Members)
	if err != nil {
		t.Fatal(err)
	}
	return digest(t, plan)
}

func digest(t *testing.T, plan map[string]spec.Assignment) string {
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// goldenPlans were recorded with the implementation of commit fb47d88.
var goldenPlans = map[string]string{
	"kafka-large/fresh/sticky":                         "783bc433cdcd6a355bbe93892a9bb3a564c83bc144d4e57c09bf7ccc87699f37",
	"kafka-large/fresh/cooperative-sticky":             "783bc433cdcd6a355bbe93892a9bb3a564c83bc144d4e57c09bf7ccc87699f37",
	"kafka-large/existing/sticky":                      "28722ce65665bf6d2e7d11ecdaf12c6dc01171f4bcb4328213c5ce24efbec0fb",
	"kafka-large/existing/cooperative-sticky":          "28722ce65665bf6d2e7d11ecdaf12c6dc01171f4bcb4328213c5ce24efbec0fb",
	"kafka-large-nonequal/fresh/sticky":                "dcd56916a4aeadfef04dd3745c8c2dddf68121c99a600ef154e171edbfb9d989",
	"kafka-large-nonequal/fresh/cooperative-sticky":    "dcd56916a4aeadfef04dd3745c8c2dddf68121c99a600ef154e171edbfb9d989",
	"kafka-large-nonequal/existing/sticky":             "ea5d680ea1d6172ae0d4ed64e2d589f081ba2e6a6e367b22d0bc4c95467c2c56",
	"kafka-large-nonequal/existing/cooperative-sticky": "0a2a3e71607b3fdf2a6322b17c8e4c10cc7e8fd765bbfbc1ebf2358d82c32e60",
	"medium/fresh/sticky":                              "a836b0ce11044c9205e924e6ed974fa7c0be0d04b95da6360f155880594e695f",
	"medium/fresh/cooperative-sticky":                  "a836b0ce11044c9205e924e6ed974fa7c0be0d04b95da6360f155880594e695f",
	"medium/existing/sticky":                           "ed5469bd3449c44e9aae2463eba2b6244b2b60e9ec6b2620b5c413251d1e7051",
	"medium/existing/cooperative-sticky":               "ed5469bd3449c44e9aae2463eba2b6244b2b60e9ec6b2620b5c413251d1e7051",
	"small/fresh/sticky":                               "8b15c0a740e6fdeb84a2a4d301f05a0b8f78ab8e00b2bcf6ea748e86550a2654",
	"small/fresh/cooperative-sticky":                   "8b15c0a740e6fdeb84a2a4d301f05a0b8f78ab8e00b2bcf6ea748e86550a2654",
	"small/existing/sticky":                            "c3894e51d76eebf6d9670ffe2761a7cd3704251059a4e0f09ee922140fc7de8c",
	"small/existing/cooperative-sticky":                "c3894e51d76eebf6d9670ffe2761a7cd3704251059a4e0f09ee922140fc7de8c",
	"franz-large/fresh/sticky":                         "aee62eecc006a619d5950a3400d28c38c8fe2119f82d2eff016094f7b3e72567",
	"franz-large/fresh/cooperative-sticky":             "aee62eecc006a619d5950a3400d28c38c8fe2119f82d2eff016094f7b3e72567",
	"franz-large/existing/sticky":                      "d68d44ad45905fca9220ba14f4b6714713ce5539562fee6228c2033d807977de",
	"franz-large/existing/cooperative-sticky":          "d68d44ad45905fca9220ba14f4b6714713ce5539562fee6228c2033d807977de",
}
