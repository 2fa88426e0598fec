package assignors

import (
	"testing"

	"github.com/kgroup/kgroup/internal/rapidtest"
)

// TestMain pins rapid's seed (each round of a looped property gets its own,
// derived one) and runs 100 cases per rapid.Check.
func TestMain(m *testing.M) { rapidtest.Main(m, 100) }
