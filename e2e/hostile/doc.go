// Package hostile plays hostile peers against the real sioproxy binary: a
// client and an upstream that put terminal escape sequences in every
// field they control, nest args deeper than encoders allow, send text
// frames that are not UTF-8, and a reader of sioproxy's stdout that stops
// reading or closes the pipe. Each test checks what a user would: the
// bytes relayed unchanged, the output valid and unable to take over the
// terminal, the relay still serving. The tests are in _test.go files;
// harness_test.go holds what they share.
package hostile
