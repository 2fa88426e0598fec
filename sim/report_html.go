package sim

import "io"

// WriteHTML writes a self-contained page.
func WriteHTML(w io.Writer, o *Outcome) error { return nil }
