// Package e2e holds sioproxy's end-to-end tests: real socket.io 4.8 and 2.5
// servers and clients from npm (e2e/package.json, installed with npm ci) talk
// through the sioproxy binary, and the tests compare what both Node sides
// logged with what sioproxy decoded.
//
// Run them with `go test ./e2e/` from the repository root; TestMain installs
// the npm packages when node_modules is missing and builds cmd/sioproxy once.
package e2e
