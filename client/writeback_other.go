//go:build !linux

package client

import "os"

// startWriteback starts the writing of a range to disk where the system
// can (Linux, writeback_linux.go); elsewhere the checkpoint's fsync
// writes it.
func startWriteback(f *os.File, off, n int64) {}
