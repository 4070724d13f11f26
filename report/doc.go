// Package report turns a recording (native or HAR) into one self-contained
// HTML page: a timeline of the sessions, the stats tables and histograms of
// package stats, every fault with its evidence and fix, and a searchable
// packet list. The page embeds its CSS, script and data and loads nothing,
// so it opens offline, attached to a bug report.
//
// Memory stays bounded whatever the recording's size: the numbers come
// from a stats.Collector, the packet list is a uniform sample beyond
// Options.MaxPackets (the page says so), and sessions, polls per session
// and faults are capped, with what was left out counted on the page.
package report
