package bench

import (
	"fmt"
	"testing"

	"github.com/kgroup/kgroup/assignors"
)

// serverGoldenPoints are the server grid's small points: every point of 100
// members, the ratio-5 points of 500 members, and the 1000-member ratio-10
// points of 100 topics (every subscription, assignment type and rack
// setting), TestServerSmoke's odd ones and the README's two headline points.
func serverGoldenPoints() []ServerParams {
	var out []ServerParams
	for _, p := range ServerGrid() {
		if p.Members == 100 || p.Members == 500 && p.Ratio == 5 || p.Members == 1000 && p.Ratio == 10 && p.Topics == 100 {
			out = append(out, p)
		}
	}
	return append(out,
		ServerParams{Members: 7, Ratio: 3, Topics: 5, Heterogeneous: true, Incremental: true},
		ServerParams{Members: 12, Ratio: 5, Topics: 7, Heterogeneous: true, Incremental: true, Rack: true},
		// The two headline points of the README (a few seconds together).
		ServerParams{Members: 10000, Ratio: 50, Topics: 1000, Incremental: true},
		ServerParams{Members: 5000, Ratio: 50, Topics: 1000, Heterogeneous: true},
	)
}

// TestServerGoldenPlans pins the exact plans (the SHA-256 of their JSON) of
// kgroup's uniform assignor on the server grid's small points, as recorded
// before the server-side path was optimised. Regenerate, only for an
// intended change of behaviour, with
// `go test -run TestServerGoldenPlans -golden.print -v`.
func TestServerGoldenPlans(t *testing.T) {
	points := serverGoldenPoints()
	for _, p := range points {
		s := BuildServerShape(p)
		plan, err := assignors.Uniform{}.Assign(s.Topics, s.Members)
		if err != nil {
			t.Fatalf("%s: %v", p.Name(), err)
		}
		got := digest(t, plan)
		if *goldenPrint {
			fmt.Printf("\t%q: %q,\n", p.Name(), got)
		} else if want := serverGoldenPlans[p.Name()]; got != want {
			t.Errorf("%s: plan digest %s, recorded %s", p.Name(), got, want)
		}
	}
	if !*goldenPrint && len(points) != len(serverGoldenPlans) {
		t.Errorf("%d points, %d digests recorded", len(points), len(serverGoldenPlans))
	}
}

// serverGoldenPlans were recorded with the implementation of commit 7e7bcfb.
var serverGoldenPlans = map[string]string{
	"m100-r5-t10/homogeneous/full/norack":             "cf38a1a624b3ed7fde6831c424fc056d6d8de279aad225a0c70f85f45da25b66",
	"m100-r5-t10/homogeneous/full/rack":               "cf38a1a624b3ed7fde6831c424fc056d6d8de279aad225a0c70f85f45da25b66",
	"m100-r5-t10/homogeneous/incremental/norack":      "95c4a6be8f9cee702bc7fb1c373b8335e4ab8d53a4433bf04a4297f68e04c44b",
	"m100-r5-t10/homogeneous/incremental/rack":        "95c4a6be8f9cee702bc7fb1c373b8335e4ab8d53a4433bf04a4297f68e04c44b",
	"m100-r5-t10/heterogeneous/full/norack":           "c83ec5c13c5e3b2537d9ba07f962ec9a64760bb358d4d12c8fa44c030dec2d27",
	"m100-r5-t10/heterogeneous/full/rack":             "c83ec5c13c5e3b2537d9ba07f962ec9a64760bb358d4d12c8fa44c030dec2d27",
	"m100-r5-t10/heterogeneous/incremental/norack":    "69bf59f7f7841c38af4d2fc31a165c11b10107c60abedcc78bb23c5d31327781",
	"m100-r5-t10/heterogeneous/incremental/rack":      "69bf59f7f7841c38af4d2fc31a165c11b10107c60abedcc78bb23c5d31327781",
	"m100-r5-t100/homogeneous/full/norack":            "eaab6eef92c7b37ff1a3065b2ad41aa226befdf3bf60f3e4c79f917fffe8b47a",
	"m100-r5-t100/homogeneous/full/rack":              "eaab6eef92c7b37ff1a3065b2ad41aa226befdf3bf60f3e4c79f917fffe8b47a",
	"m100-r5-t100/homogeneous/incremental/norack":     "0e1e8d926d669a2c943a853220efbc55b2a67195c972e94ebbf46edf8aa92992",
	"m100-r5-t100/homogeneous/incremental/rack":       "0e1e8d926d669a2c943a853220efbc55b2a67195c972e94ebbf46edf8aa92992",
	"m100-r5-t100/heterogeneous/full/norack":          "3b663a2e5313c4a0da5bf9fa8cd42f6026d884497bfe8bbd1421884eb5964f74",
	"m100-r5-t100/heterogeneous/full/rack":            "3b663a2e5313c4a0da5bf9fa8cd42f6026d884497bfe8bbd1421884eb5964f74",
	"m100-r5-t100/heterogeneous/incremental/norack":   "fc7a00df997aa944c685cbf7f9e829babfbcb455d290e24f5de064dfd3a0bbe3",
	"m100-r5-t100/heterogeneous/incremental/rack":     "fc7a00df997aa944c685cbf7f9e829babfbcb455d290e24f5de064dfd3a0bbe3",
	"m100-r5-t1000/homogeneous/full/norack":           "0026e46337cd3e681a828518978d040cbcf67cf08d1f8aa3129c7a603dda1c7c",
	"m100-r5-t1000/homogeneous/full/rack":             "0026e46337cd3e681a828518978d040cbcf67cf08d1f8aa3129c7a603dda1c7c",
	"m100-r5-t1000/homogeneous/incremental/norack":    "7c77a26b78aa58b48b2ec06acf9d7a010e23c6533eb481ef1fa5cd43171fc717",
	"m100-r5-t1000/homogeneous/incremental/rack":      "7c77a26b78aa58b48b2ec06acf9d7a010e23c6533eb481ef1fa5cd43171fc717",
	"m100-r5-t1000/heterogeneous/full/norack":         "0026e46337cd3e681a828518978d040cbcf67cf08d1f8aa3129c7a603dda1c7c",
	"m100-r5-t1000/heterogeneous/full/rack":           "0026e46337cd3e681a828518978d040cbcf67cf08d1f8aa3129c7a603dda1c7c",
	"m100-r5-t1000/heterogeneous/incremental/norack":  "7c77a26b78aa58b48b2ec06acf9d7a010e23c6533eb481ef1fa5cd43171fc717",
	"m100-r5-t1000/heterogeneous/incremental/rack":    "7c77a26b78aa58b48b2ec06acf9d7a010e23c6533eb481ef1fa5cd43171fc717",
	"m100-r10-t10/homogeneous/full/norack":            "16c3922ceb9c67c62d56cf952fd55feb32f26cf02a3f14b99ddefc7fd39b24aa",
	"m100-r10-t10/homogeneous/full/rack":              "16c3922ceb9c67c62d56cf952fd55feb32f26cf02a3f14b99ddefc7fd39b24aa",
	"m100-r10-t10/homogeneous/incremental/norack":     "e90799b25034f9e15e8ca252120aa9e758c7afae3b840d4004b6e68f0f94935c",
	"m100-r10-t10/homogeneous/incremental/rack":       "e90799b25034f9e15e8ca252120aa9e758c7afae3b840d4004b6e68f0f94935c",
	"m100-r10-t10/heterogeneous/full/norack":          "a18df9398e216c9a1036dce97533820561c5e4485656f621550085859c80def9",
	"m100-r10-t10/heterogeneous/full/rack":            "a18df9398e216c9a1036dce97533820561c5e4485656f621550085859c80def9",
	"m100-r10-t10/heterogeneous/incremental/norack":   "66828b9e1305c703e120592f4f246a615c6629f65912defc3e55fc160cbb1923",
	"m100-r10-t10/heterogeneous/incremental/rack":     "66828b9e1305c703e120592f4f246a615c6629f65912defc3e55fc160cbb1923",
	"m100-r10-t100/homogeneous/full/norack":           "2eb0dbd089d62dbf7111be3d83baf8dfebd8731327b627886b9cb9b9e7be06dd",
	"m100-r10-t100/homogeneous/full/rack":             "2eb0dbd089d62dbf7111be3d83baf8dfebd8731327b627886b9cb9b9e7be06dd",
	"m100-r10-t100/homogeneous/incremental/norack":    "13febfa48c258c27cd5fea3f5bee0d49178b6140961eac4d26d6ea51db77d66c",
	"m100-r10-t100/homogeneous/incremental/rack":      "13febfa48c258c27cd5fea3f5bee0d49178b6140961eac4d26d6ea51db77d66c",
	"m100-r10-t100/heterogeneous/full/norack":         "6ca0dccee78318b5e9465cb61c441dc9db51c1691dd498fd2262201a058180ed",
	"m100-r10-t100/heterogeneous/full/rack":           "6ca0dccee78318b5e9465cb61c441dc9db51c1691dd498fd2262201a058180ed",
	"m100-r10-t100/heterogeneous/incremental/norack":  "411deb137dd1d0e89dee631ae9ee1ed48127512bdcbdd88ca2de6bfdedf8d4ba",
	"m100-r10-t100/heterogeneous/incremental/rack":    "411deb137dd1d0e89dee631ae9ee1ed48127512bdcbdd88ca2de6bfdedf8d4ba",
	"m100-r10-t1000/homogeneous/full/norack":          "19a0fff8dcb3cc3cc4d2211129faaeb50756f35e8171e2c5b7f1295b5b224734",
	"m100-r10-t1000/homogeneous/full/rack":            "19a0fff8dcb3cc3cc4d2211129faaeb50756f35e8171e2c5b7f1295b5b224734",
	"m100-r10-t1000/homogeneous/incremental/norack":   "267f71e874743e44332f46f7703e4b744cf82fd4f2e53d9a9ead51383b8d48de",
	"m100-r10-t1000/homogeneous/incremental/rack":     "267f71e874743e44332f46f7703e4b744cf82fd4f2e53d9a9ead51383b8d48de",
	"m100-r10-t1000/heterogeneous/full/norack":        "81b9c82c16936471e0313ba9ffb24cb77d1a8c1844de0fd4450a23ebb887a568",
	"m100-r10-t1000/heterogeneous/full/rack":          "81b9c82c16936471e0313ba9ffb24cb77d1a8c1844de0fd4450a23ebb887a568",
	"m100-r10-t1000/heterogeneous/incremental/norack": "6e5dde5493726ee9aa49fcb6076195c07c9b0c919e3b91c2370e11f833e79b55",
	"m100-r10-t1000/heterogeneous/incremental/rack":   "6e5dde5493726ee9aa49fcb6076195c07c9b0c919e3b91c2370e11f833e79b55",
	"m100-r50-t10/homogeneous/full/norack":            "c5f185547ede1f94a8090ed02c55488f16e340eca35fa2a9a6e9661f2177dd59",
	"m100-r50-t10/homogeneous/full/rack":              "c5f185547ede1f94a8090ed02c55488f16e340eca35fa2a9a6e9661f2177dd59",
	"m100-r50-t10/homogeneous/incremental/norack":     "acd4505cc2f338fd2208e0e0a411e8948068e5962c99ebff1e029bf69a5f6dbf",
	"m100-r50-t10/homogeneous/incremental/rack":       "acd4505cc2f338fd2208e0e0a411e8948068e5962c99ebff1e029bf69a5f6dbf",
	"m100-r50-t10/heterogeneous/full/norack":          "97ba280df16a4a9c100f7c9f1a738a35b912dfb659fa8cfa307b30a7237a0d44",
	"m100-r50-t10/heterogeneous/full/rack":            "97ba280df16a4a9c100f7c9f1a738a35b912dfb659fa8cfa307b30a7237a0d44",
	"m100-r50-t10/heterogeneous/incremental/norack":   "68cde1407fe7316d42d8eefabff31d9d9e14a80c670734588aa5b814cc235514",
	"m100-r50-t10/heterogeneous/incremental/rack":     "68cde1407fe7316d42d8eefabff31d9d9e14a80c670734588aa5b814cc235514",
	"m100-r50-t100/homogeneous/full/norack":           "9dead0518d79544babaa755994f416ab28d872cd68c2ccc55430b5ce44965c5d",
	"m100-r50-t100/homogeneous/full/rack":             "9dead0518d79544babaa755994f416ab28d872cd68c2ccc55430b5ce44965c5d",
	"m100-r50-t100/homogeneous/incremental/norack":    "c6f5cb281d0eba4b6772978983a4a016ba14d83cdd45325b367c1b6a6add6db6",
	"m100-r50-t100/homogeneous/incremental/rack":      "c6f5cb281d0eba4b6772978983a4a016ba14d83cdd45325b367c1b6a6add6db6",
	"m100-r50-t100/heterogeneous/full/norack":         "b57177f65d5b80532c6ad12ee35e028289246a3e446fd45b85d38a04c6c5841f",
	"m100-r50-t100/heterogeneous/full/rack":           "b57177f65d5b80532c6ad12ee35e028289246a3e446fd45b85d38a04c6c5841f",
	"m100-r50-t100/heterogeneous/incremental/norack":  "dfcccfc94f99aa16ff1394a71a40d720352db94fe1a56326beb57414525ba09e",
	"m100-r50-t100/heterogeneous/incremental/rack":    "dfcccfc94f99aa16ff1394a71a40d720352db94fe1a56326beb57414525ba09e",
	"m100-r50-t1000/homogeneous/full/norack":          "35a5187339a9fd228002f816f97d6b54553232e503d5fe9bf2b072cb13cbe075",
	"m100-r50-t1000/homogeneous/full/rack":            "35a5187339a9fd228002f816f97d6b54553232e503d5fe9bf2b072cb13cbe075",
	"m100-r50-t1000/homogeneous/incremental/norack":   "cbc944569811dbe8f8dd65d4a57c9cf4bc2b24a822f36c9a3df517d45f728487",
	"m100-r50-t1000/homogeneous/incremental/rack":     "cbc944569811dbe8f8dd65d4a57c9cf4bc2b24a822f36c9a3df517d45f728487",
	"m100-r50-t1000/heterogeneous/full/norack":        "117636ea5371861c7086d9b606d859679127580948e682e248337e92f49e72ca",
	"m100-r50-t1000/heterogeneous/full/rack":          "117636ea5371861c7086d9b606d859679127580948e682e248337e92f49e72ca",
	"m100-r50-t1000/heterogeneous/incremental/norack": "dc0dda1150e0d3111db6df3f72b12b39c08de68511ad160564613e562bc941d2",
	"m100-r50-t1000/heterogeneous/incremental/rack":   "dc0dda1150e0d3111db6df3f72b12b39c08de68511ad160564613e562bc941d2",
	"m500-r5-t10/homogeneous/full/norack":             "1cca5e412686afb4a97ed66ec5a5b157e1602ccb7ef4d44c5c0879186dcbbd59",
	"m500-r5-t10/homogeneous/full/rack":               "1cca5e412686afb4a97ed66ec5a5b157e1602ccb7ef4d44c5c0879186dcbbd59",
	"m500-r5-t10/homogeneous/incremental/norack":      "5516e89c34093001719ad8eaeee47b9a4f802d44ca35c5be5e72d7b51b32e98e",
	"m500-r5-t10/homogeneous/incremental/rack":        "5516e89c34093001719ad8eaeee47b9a4f802d44ca35c5be5e72d7b51b32e98e",
	"m500-r5-t10/heterogeneous/full/norack":           "d0965a30171f3219dbb42be08130200c825c4e0ce335f7829db6474946d9c853",
	"m500-r5-t10/heterogeneous/full/rack":             "d0965a30171f3219dbb42be08130200c825c4e0ce335f7829db6474946d9c853",
	"m500-r5-t10/heterogeneous/incremental/norack":    "afcee3b1374f5373594f5f9de85f1e2921f7bc069035ba76e18f2190fd585924",
	"m500-r5-t10/heterogeneous/incremental/rack":      "afcee3b1374f5373594f5f9de85f1e2921f7bc069035ba76e18f2190fd585924",
	"m500-r5-t100/homogeneous/full/norack":            "1e381ac5031760bc82f417a13ce84c0f41320e2c2fa8b09a15b7bab3620e30e5",
	"m500-r5-t100/homogeneous/full/rack":              "1e381ac5031760bc82f417a13ce84c0f41320e2c2fa8b09a15b7bab3620e30e5",
	"m500-r5-t100/homogeneous/incremental/norack":     "64379d2a192b5b9f38ba6cecba9cdb8eb5d4c4269e8de132dff249c03c7ec83e",
	"m500-r5-t100/homogeneous/incremental/rack":       "64379d2a192b5b9f38ba6cecba9cdb8eb5d4c4269e8de132dff249c03c7ec83e",
	"m500-r5-t100/heterogeneous/full/norack":          "102cf98f7ef420cceb8217fd558902708d6a3fbd8bc21ab8f980d92aa476b84f",
	"m500-r5-t100/heterogeneous/full/rack":            "102cf98f7ef420cceb8217fd558902708d6a3fbd8bc21ab8f980d92aa476b84f",
	"m500-r5-t100/heterogeneous/incremental/norack":   "7e1a02f47ff47b341841a421c9de456439898690516e81e7bcb8d2166519364f",
	"m500-r5-t100/heterogeneous/incremental/rack":     "7e1a02f47ff47b341841a421c9de456439898690516e81e7bcb8d2166519364f",
	"m500-r5-t1000/homogeneous/full/norack":           "b1749b83fd03753c12b0fb4437f8a2cbb157ed514c50957040c2ecec171de8bc",
	"m500-r5-t1000/homogeneous/full/rack":             "b1749b83fd03753c12b0fb4437f8a2cbb157ed514c50957040c2ecec171de8bc",
	"m500-r5-t1000/homogeneous/incremental/norack":    "a26b459cb24c0c79776cd326eead01bf495a8d28c14710f51107b2730bc76eef",
	"m500-r5-t1000/homogeneous/incremental/rack":      "a26b459cb24c0c79776cd326eead01bf495a8d28c14710f51107b2730bc76eef",
	"m500-r5-t1000/heterogeneous/full/norack":         "6e8478c7636d3e5efa5eb51970d3ddced4faffdcf522626fa0ccb2950ecab6f4",
	"m500-r5-t1000/heterogeneous/full/rack":           "6e8478c7636d3e5efa5eb51970d3ddced4faffdcf522626fa0ccb2950ecab6f4",
	"m500-r5-t1000/heterogeneous/incremental/norack":  "8d1b8de42acc2eef4d366af93e86f03d119ef9de7d47681b5490ea3a5657c247",
	"m500-r5-t1000/heterogeneous/incremental/rack":    "8d1b8de42acc2eef4d366af93e86f03d119ef9de7d47681b5490ea3a5657c247",
	"m1000-r10-t100/homogeneous/full/norack":          "1cbab4bbd4bad3d1c511a9f8393099540aa99ef30fc4db54bfdc6ea5eaf98426",
	"m1000-r10-t100/homogeneous/full/rack":            "1cbab4bbd4bad3d1c511a9f8393099540aa99ef30fc4db54bfdc6ea5eaf98426",
	"m1000-r10-t100/homogeneous/incremental/norack":   "70daa3d52588a5393c9f33d882f8847b2ddebc41c1980c0e039924a188f5e799",
	"m1000-r10-t100/homogeneous/incremental/rack":     "70daa3d52588a5393c9f33d882f8847b2ddebc41c1980c0e039924a188f5e799",
	"m1000-r10-t100/heterogeneous/full/norack":        "50bd0aa001a9fa1e12cd313fa690820ed9a7ef6884c5d0da053e624ea3921922",
	"m1000-r10-t100/heterogeneous/full/rack":          "50bd0aa001a9fa1e12cd313fa690820ed9a7ef6884c5d0da053e624ea3921922",
	"m1000-r10-t100/heterogeneous/incremental/norack": "2ba754cae63555f52d01865b5a47d2abe012b474016577c2c075be2b4d0d904e",
	"m1000-r10-t100/heterogeneous/incremental/rack":   "2ba754cae63555f52d01865b5a47d2abe012b474016577c2c075be2b4d0d904e",
	"m7-r3-t5/heterogeneous/incremental/norack":       "491add00c04e1b3c2f208dc336754a0715ead6e0d38013b6b0d36d97728a4cc0",
	"m12-r5-t7/heterogeneous/incremental/rack":        "4297ecca97881700ef54697f9ade272d8cbe4153e21844a94bd2acf1002722ae",
	"m10000-r50-t1000/homogeneous/incremental/norack": "e8834677dd6b71214ede1fa89aa999ba3a74542b0439d0592e3082f4e3087335",
	"m5000-r50-t1000/heterogeneous/full/norack":       "a8f3434f89d517e807ab410b178122c4452dc1bb451d91d1cd1d295843f5e3b4",
}
