//go:build !windows

package main

import (
	"fmt"
	"runtime"
)

// rightsCheck: Windows group membership means nothing elsewhere.
func rightsCheck() check {
	return check{Name: checkRights, Status: statusNA,
		Detail: fmt.Sprintf("not applicable: account rights are checked on Windows only (this is %s)", runtime.GOOS)}
}
