//go:build !windows

package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
)

// isWindowsService is false: there are no Windows services here.
func isWindowsService() bool { return false }

// runService is never called outside Windows.
func runService(args []string) int { return 1 }

// serviceCommand checks its arguments like on Windows, then refuses.
func serviceCommand(ctx context.Context, cmd command, args []string, stdout, stderr io.Writer) error {
	if _, err := parseServiceCommand(cmd, args, stderr); err != nil {
		return err
	}
	return fmt.Errorf("Windows services exist only on Windows (this is %s); run the server directly: hvport [flags]", runtime.GOOS)
}

// onWine is false: Wine runs Windows programs only.
func onWine() bool { return false }
