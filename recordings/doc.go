// Package recordings saves observations losslessly as versioned JSON Lines,
// reads them back, and converts to and from HAR 1.2.
package recordings
