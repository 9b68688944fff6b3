//go:build !windows

package roots

// checkVolume: drive types are a Windows notion. On Linux the simulator's
// roots may be on any file system; mount points below a root are refused
// by Resolve.
func checkVolume(string) error { return nil }
