// Package tui is sioproxy's terminal UI, built on bubbletea v1. It pulls
// events from the bus on a tick and never blocks the proxy.
package tui
