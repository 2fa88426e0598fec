package cluster_test

import (
	"testing"

	"github.com/kgroup/kgroup/internal/rapidtest"
)

// TestMain pins rapid's seed and runs 2000 random models per rapid property.
func TestMain(m *testing.M) { rapidtest.Main(m, 2000) }
