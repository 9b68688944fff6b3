package sim

import (
	"strconv"

	"github.com/hvport/hvport/wmi"
)

// Msvm_Error (docs/HYPERV.md#msvm-error, [v2 docs] msvm-error): what
// GetError/GetErrorEx return for a job that did not complete. The property
// values are INFERRED: Microsoft documents no MessageID list for export
// failures, so MessageID is the job's ErrorCode; ErrorType 4 (Software
// Error), PerceivedSeverity 5 (Major), CIMStatusCode 1 (CIM_ERR_FAILED);
// ErrorSource is the path of the job's affected element (the VM or planned
// VM), as clients such as the Windows samples read it; ErrorSourceFormat 0,
// as the docs say it always is. Validation incompatibilities have their
// own instances (validate_planned_system.go).
func (h *Host) jobErrorObjectLocked(j *job) *wmi.Object {
	o := newEmbeddedInstance(classError)
	o.MustSet("ErrorType", uint16(4))
	o.MustSet("OwningEntity", "Microsoft-Windows-Hyper-V-VMMS")
	o.MustSet("MessageID", strconv.Itoa(int(j.errorCode)))
	o.MustSet("Message", j.errorDescription)
	o.MustSet("MessageArguments", []string{j.vmName, j.vmID})
	o.MustSet("PerceivedSeverity", uint16(5))
	o.MustSet("ProbableCause", uint16(0))
	source := j.affected
	if source == "" {
		source = h.pathIn(j.namespace, wmi.ClassComputerSystem,
			wmi.Key{Name: "CreationClassName", Value: wmi.ClassComputerSystem}, wmi.Key{Name: "Name", Value: j.vmID})
	}
	o.MustSet("ErrorSource", source)
	o.MustSet("ErrorSourceFormat", uint16(0))
	o.MustSet("CIMStatusCode", uint32(1))
	o.MustSet("CIMStatusCodeDescription", "CIM_ERR_FAILED")
	return o
}
