package main

import (
	"path/filepath"

	"go.uber.org/zap"

	"github.com/hvport/hvport/audit"
	"github.com/hvport/hvport/auth"
	"github.com/hvport/hvport/handlers"
	"github.com/hvport/hvport/internal/secfile"
	"github.com/hvport/hvport/metrics"
)

// openSecurity opens the token store (creating the first admin token on a
// fresh data directory), the audit log (whose failed writes m counts) and
// the certificate allowlist.
func openSecurity(cfg Config, log *zap.Logger, m *metrics.Metrics) (handlers.Security, error) {
	auditPath := cfg.AuditLog
	if auditPath == "" {
		auditPath = filepath.Join(cfg.DataDir, "audit.log")
	}
	sec := handlers.Security{Audit: audit.Open(auditPath, audit.Options{WriteFailed: m.AuditWriteFailed}), InsecureNoAuth: cfg.InsecureNoAuth}
	if err := sec.Audit.Check(); err != nil {
		// Reads go on; every change is refused with 503 until it is fixed.
		log.Error("the audit log cannot be written: changes are refused until it can", zap.String("audit_log", auditPath), zap.Error(err))
	}
	for _, r := range cfg.Auth.ClientSubjects {
		role, _ := auth.ParseRole(r.Role) // checkSecurity refused unknown roles
		sec.Subjects = append(sec.Subjects, auth.SubjectRule{Subject: r.Subject, Role: role, VMs: r.VMs})
	}
	if cfg.InsecureNoAuth {
		log.Warn("INSECURE: --insecure-no-auth: every local caller is an admin, without a token. Never use this beyond a loopback demo")
		return sec, nil
	}
	adminFile := filepath.Join(cfg.DataDir, auth.AdminTokenFile)
	if err := secfile.CheckPrivate(adminFile); err != nil {
		return sec, err
	}
	store, err := auth.OpenStore(filepath.Join(cfg.DataDir, auth.StoreFile))
	if err != nil {
		return sec, err
	}
	sec.Tokens = store
	created, err := store.Bootstrap(adminFile)
	if err != nil {
		return sec, err
	}
	if created {
		// The path, never the token.
		log.Info("created the first admin token; read it from the file (owner-only), then create narrower tokens with `server token create`",
			zap.String("admin_token_file", adminFile))
	}
	return sec, nil
}
