//go:build !windows

package com

import (
	"context"
	"errors"
	"testing"

	"github.com/hvport/hvport/wmi"
)

func TestConnectNotWindows(t *testing.T) {
	c, err := Connect(context.Background(), wmi.NamespaceV2, Options{})
	if c != nil || !errors.Is(err, ErrNotWindows) {
		t.Fatalf("Connect = %v, %v; want ErrNotWindows", c, err)
	}
}
