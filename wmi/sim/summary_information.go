package sim

import (
	"fmt"
	"strings"

	"github.com/hvport/hvport/wmi"
)

// Msvm_VirtualSystemManagementService.GetDefinitionFileSummaryInformation
// (docs/HYPERV.md#v2-methods):
//
//	uint32 GetDefinitionFileSummaryInformation([in] string DefinitionFiles[],
//	    [out] Msvm_SummaryInformationBase SummaryInformation[])
//
// It reads each definition file (definition_file.go; a VM's or a
// snapshot's .vmcx) without importing it and returns, in order, one
// embedded Msvm_SummaryInformation with only Name (the GUID), ElementName,
// CreationTime and Notes (the notes joined by newlines; Notes is a string
// in this class) set, everything else NULL, as the docs say. The
// out-parameter is an array of objects (CIM type object), as COM hands
// embedded-object out-parameters over (docs/HYPERV.md#references), not CIM-XML strings.
//
// Return codes: a fault rule's; 32773 when DefinitionFiles is NULL or any
// file is not an absolute path to a readable .vmcx (UNCERTAIN: a real
// host might instead leave that entry NULL); else 0, at once. An empty
// array gives an empty array.
func (h *Host) getDefinitionFileSummaryInformation(call *methodCall) (*wmi.Object, error) {
	reply := func(code uint32, reason string, list []*wmi.Object) (*wmi.Object, error) {
		if code != 0 {
			h.rejectCall(call, code, reason)
		}
		p := wmi.Property{Name: "SummaryInformation", Type: wmi.CIMObject, Array: true}
		if list != nil {
			p.Value = list
		}
		return outParams(code, p), nil
	}
	h.mu.Lock()
	f := h.takeFaultLocked(call.method, "", "", true)
	h.mu.Unlock()
	if f != nil {
		return reply(f.ReturnValue, "fault rule", nil)
	}
	files, ok := call.in["DefinitionFiles"].([]string)
	if !ok {
		return reply(wmi.ReturnInvalidParameter, "DefinitionFiles is NULL", nil)
	}
	list := []*wmi.Object{}
	for i, file := range files {
		def, code, reason := readDefinition(file, true)
		if code != 0 {
			return reply(code, fmt.Sprintf("DefinitionFiles[%d]: %s", i, reason), nil)
		}
		c := def.config
		o := newEmbeddedInstance(classSummaryInformation)
		o.MustSet("Name", c.ID)
		o.MustSet("ElementName", c.Name)
		o.MustSet("CreationTime", cimTimestamp(c.CreationTime))
		o.MustSet("Notes", strings.Join(c.Notes, "\n"))
		list = append(list, o)
	}
	return reply(wmi.ReturnOK, "", list)
}
