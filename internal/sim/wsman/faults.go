package wsman

import (
	"fmt"
	"strconv"
	"strings"
)

// Fault texts and codes. Where a text comes from is noted beside it;
// "message table" means the Windows WS-Management message table
// (wsmerror.h), as reproduced in Vanara's WsmSvc error enum
// (dahall/Vanara, PInvoke/WsmSvc), i.e. Windows' wording but not a captured
// response. Windows ends its messages with a space; so do these.
const (
	actionFaultWsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	actionFaultAddr  = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"

	detailUnexpectedSelectors = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors"
	detailInvalidValue        = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue"
	detailInvalidResourceURI  = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidResourceURI"
	detailMinEnvelope         = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/MinimumEnvelopeLimit"

	// Captured: pypsrp/test_winrs_operation_timeout/04-Receive-response-http500.xml
	// and masterzen fixture_test operationTimeoutResponse (two spaces).
	textTimedOut = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
	codeTimedOut = 2150858793

	// Captured: pypsrp/test_winrs_bad_cmd_id/03-Receive-response-http500.xml.
	textInvalidSelectors = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. "
	textBadCommandID     = "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. Either the command has completed execution or the client specified an invalid command identifier. "
	codeInvalidSelectors = 2150858843
	// WinRb/WinRM issues #253 and #273 (f:Message of a real fault).
	textShellNotFound = "The request for the Windows Remote Shell with ShellId %s failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation. "
	// Openwsman/openwsman issue #83 (a real Windows 7 answer to a request
	// without the ShellId selector).
	textNeedShellID = "The Windows Remote Shell cannot process the request because it requires the following selector: ShellId. Retry with the correct selector. "

	// Captured: pypsrp/test_winrs_fail_poll_process/02-Receive-response-http500.xml.
	textBadParameter = "The parameter is incorrect. "
	codeBadParameter = 87

	// Captured: masterzen fixture_test executeCommandResponseWithError.
	textTooLong = "The filename or extension is too long. "
	codeTooLong = 2147942606

	// Captured: pypsrp/test_psrp_is_alive_other_wsman_error/04-Get-response-http500.xml.
	textInvalidHeaders = "The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers. "
	textBadTimeout     = "The WS-Management service cannot process the request. The XML contains an invalid timeout field in the SOAP header: %s. "
	codeBadTimeout     = 2150858767

	// Quotas. Reasons: captured winrb/wmi_error_v2.xml (shells) and the
	// message table (operations, users). Messages: the formatted texts of
	// winrm-wire.md section 7 (the shell one is captured in wmi_error_v2).
	textQuotaShells       = "The WS-Management service cannot process the request. The maximum number of concurrent shells for this user has been exceeded. Close existing shells or raise the quota for this user. "
	textQuotaShellsN      = "The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "
	textQuotaOperations   = "The WS-Management service cannot process the request. The maximum number of concurrent operations for this user has been exceeded. Close existing operations for this user, or raise the quota for this user. "
	textQuotaOperationsN  = "The WS-Management service cannot process the request. This user is allowed a maximum number of %d concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. "
	textQuotaUsers        = "The WS-Management service cannot process the request. The maximum number of users executing shell operations has been exceeded. Retry after some time or raise the quota for concurrent shell users. "
	codeQuotaShells       = 2150859173 // 0x803381A5 ERROR_WSMAN_QUOTA_MAX_SHELLS
	codeQuotaOperations   = 2150859174 // 0x803381A6 ERROR_WSMAN_QUOTA_MAX_OPERATIONS
	codeQuotaUsers        = 2150859179 // 0x803381AB ERROR_WSMAN_QUOTA_MAX_SHELLUSERS
	wmiCIMStatusQuota     = 27
	wmiErrorCategoryQuota = 30

	// pypsrp issues #47 and #192 (pypsrp prints the f:Message of real
	// faults for unknown resource URIs; code 2150858811 =
	// ERROR_WSMAN_INVALID_RESOURCE_URI). Subcode and detail follow DSP0226
	// (wsa:DestinationUnreachable, faultDetail/InvalidResourceURI).
	textUnknownResource = "The WS-Management service cannot process the request. The resource URI (%s) was not found in the WS-Management catalog. The catalog contains the metadata that describes resources, or logical endpoints. "
	// Message table, ERROR_WSMAN_INVALID_RESOURCE_URI.
	textMissingResource = "The WS-Management service cannot process the request. The resource URI is missing or it has an incorrect format. Check the documentation or use the following command for information on how to construct a resource URI: \"winrm help uris\". "
	codeResourceURI     = 2150858811
	// Message table, ERROR_WSMAN_ACTION_NOT_SUPPORTED (wsa:ActionNotSupported).
	textActionNotSupported = "The WS-Management service does not support the action specified in the request. "
	codeActionNotSupported = 2150858771
	// Message table, ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED.
	textHeaderRequired = "The WS-Management service cannot process the request. The request does not have all the expected SOAP headers. "
	codeHeaderRequired = 2150858769
	// Message table, ERROR_WSMAN_SCHEMA_VALIDATION_ERROR (used for bodies
	// that are not XML or lack a required element).
	textSchema = "The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. "
	codeSchema = 2150858817
	// Message table, ERROR_WSMAN_SOAP_VERSION_MISMATCH.
	textVersion = "The WS-Management service does not support the SOAP version specified in the request. "
	codeVersion = 2150858765
	// Message table, ERROR_WSMAN_MIN_ENVELOPE_SIZE; DSP0226 wsman:EncodingLimit.
	textMinEnvelope = "The WS-Management service cannot process the request because the envelope size in the request is too small. "
	codeMinEnvelope = 2150858878
	// Message table, ERROR_WSMAN_ENDPOINT_UNAVAILABLE (after Close).
	textUnavailable = "The WS-Management service cannot process the request because the resource is offline. Retry the request later when the resource is online. "
	codeUnavailable = 2150858772

	providerShellCmd = "Shell cmd plugin"
	pathShellCmd     = `%systemroot%\system32\winrscmd.dll`
)

// fault describes one SOAP fault.
type fault struct {
	action     string // a:Action
	code       string // s:Value, e.g. "s:Sender"
	subcode    string // e.g. "w:TimedOut"; "" for none
	reason     string
	reasonLang string // xml:lang of s:Text
	detailURI  string // w:FaultDetail, optional
	code32     uint32 // WSManFault Code / error_Code
	message    string // f:Message text
	provider   bool   // wrap message in the Shell cmd plugin ProviderFault
	wmi        bool   // p:MSFT_WmiError detail instead of f:WSManFault
	noRelates  bool   // omit a:RelatesTo
}

func newFault(subcode, reason string, code uint32) *fault {
	return &fault{
		action: actionFaultWsman, code: "s:Sender", subcode: subcode,
		reason: reason, reasonLang: "en-US", code32: code, message: reason,
	}
}

func faultTimedOut() *fault {
	f := newFault("w:TimedOut", textTimedOut, codeTimedOut)
	f.code = "s:Receiver"
	return f
}

func faultShellNotFound(id string) *fault {
	f := newFault("w:InvalidSelectors", textInvalidSelectors, codeInvalidSelectors)
	f.detailURI = detailUnexpectedSelectors
	f.message = fmt.Sprintf(textShellNotFound, id)
	return f
}

func faultNeedShellID() *fault {
	f := newFault("w:InvalidSelectors", textInvalidSelectors, codeInvalidSelectors)
	f.detailURI = detailUnexpectedSelectors
	f.message = textNeedShellID
	return f
}

func faultBadCommandID() *fault {
	f := newFault("w:InvalidSelectors", textInvalidSelectors, codeInvalidSelectors)
	f.detailURI = detailUnexpectedSelectors
	f.message = textBadCommandID
	return f
}

func faultBadParameter() *fault {
	f := newFault("w:InvalidParameter", textBadParameter, codeBadParameter)
	f.detailURI = detailInvalidValue
	f.provider = true
	return f
}

func faultTooLong() *fault {
	f := newFault("w:InternalError", textTooLong, codeTooLong)
	f.code = "s:Receiver"
	f.reasonLang = "" // as captured: <s:Text xml:lang="">
	f.provider = true
	return f
}

func faultBadTimeout(raw string) *fault {
	f := newFault("a:InvalidMessageInformationHeader", textInvalidHeaders, codeBadTimeout)
	f.action = actionFaultAddr
	f.message = fmt.Sprintf(textBadTimeout, raw)
	return f
}

func faultHeaderRequired() *fault {
	f := newFault("a:MessageInformationHeaderRequired", textHeaderRequired, codeHeaderRequired)
	f.action = actionFaultAddr
	return f
}

func faultSchema() *fault { return newFault("w:SchemaValidationError", textSchema, codeSchema) }

func faultVersion() *fault {
	f := newFault("", textVersion, codeVersion)
	f.code = "s:VersionMismatch"
	return f
}

func faultMinEnvelope() *fault {
	f := newFault("w:EncodingLimit", textMinEnvelope, codeMinEnvelope)
	f.detailURI = detailMinEnvelope
	return f
}

func faultUnknownResource(uri string) *fault {
	text := fmt.Sprintf(textUnknownResource, uri)
	f := newFault("a:DestinationUnreachable", text, codeResourceURI)
	f.action = actionFaultAddr
	f.detailURI = detailInvalidResourceURI
	return f
}

func faultMissingResource() *fault {
	f := newFault("a:DestinationUnreachable", textMissingResource, codeResourceURI)
	f.action = actionFaultAddr
	f.detailURI = detailInvalidResourceURI
	return f
}

func faultActionNotSupported() *fault {
	f := newFault("a:ActionNotSupported", textActionNotSupported, codeActionNotSupported)
	f.action = actionFaultAddr
	return f
}

func faultUnavailable() *fault {
	f := newFault("a:EndpointUnavailable", textUnavailable, codeUnavailable)
	f.code = "s:Receiver"
	f.action = actionFaultAddr
	return f
}

// quotaFault builds a w:QuotaLimit fault. Server 2012 and later send a
// p:MSFT_WmiError detail and no a:RelatesTo (winrb/wmi_error_v2.xml; the
// pywinrm test_wsman_fault_wmi_error_detail fixture has the same shape);
// Server 2008 R2 sends an f:WSManFault with the same code.
func quotaFault(legacy bool, reason, message string, code uint32) *fault {
	f := newFault("w:QuotaLimit", reason, code)
	f.message = message
	if !legacy {
		f.wmi = true
		f.noRelates = true
	}
	return f
}

// render writes the fault envelope.
func (f *fault) render(messageID, relatesTo, machine string) []byte {
	var b strings.Builder
	b.Grow(1536 + len(f.reason) + len(f.message))
	writeHead(&b, nsSetFault, f.action, messageID, relatesTo, relatesTo != "" && !f.noRelates)
	b.WriteString(`<s:Fault><s:Code><s:Value>`)
	b.WriteString(f.code)
	b.WriteString(`</s:Value>`)
	if f.subcode != "" {
		b.WriteString(`<s:Subcode><s:Value>`)
		b.WriteString(f.subcode)
		b.WriteString(`</s:Value></s:Subcode>`)
	}
	b.WriteString(`</s:Code><s:Reason><s:Text xml:lang="`)
	b.WriteString(f.reasonLang)
	b.WriteString(`">`)
	b.WriteString(esc(f.reason))
	b.WriteString(`</s:Text></s:Reason><s:Detail>`)
	if f.detailURI != "" {
		b.WriteString(`<w:FaultDetail>`)
		b.WriteString(f.detailURI)
		b.WriteString(`</w:FaultDetail>`)
	}
	if f.wmi {
		writeWmiError(&b, f.code32, f.message)
	} else {
		b.WriteString(`<f:WSManFault xmlns:f="` + nsWsmFault + `" Code="`)
		b.WriteString(strconv.FormatUint(uint64(f.code32), 10))
		b.WriteString(`" Machine="`)
		b.WriteString(esc(machine))
		b.WriteString(`"><f:Message>`)
		if f.provider {
			b.WriteString(`<f:ProviderFault provider="` + providerShellCmd + `" path="` + pathShellCmd + `">`)
			b.WriteString(esc(f.message))
			b.WriteString(`</f:ProviderFault>`)
		} else {
			b.WriteString(esc(f.message))
		}
		b.WriteString(`</f:Message></f:WSManFault>`)
	}
	b.WriteString(`</s:Detail></s:Fault>`)
	b.WriteString(tail)
	return []byte(b.String())
}

// writeWmiError writes the p:MSFT_WmiError detail of winrb/wmi_error_v2.xml
// (same elements, attributes and order; double quotes, no whitespace).
func writeWmiError(b *strings.Builder, code uint32, message string) {
	m := esc(message)
	b.WriteString(`<p:MSFT_WmiError b:IsCIM_Error="true" xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:p="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError" xsi:type="p:MSFT_WmiError_Type" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	fmt.Fprintf(b, `<p:CIMStatusCode xsi:type="cim:cimUnsignedInt">%d</p:CIMStatusCode>`, wmiCIMStatusQuota)
	b.WriteString(`<p:CIMStatusCodeDescription xsi:nil="true" xsi:type="cim:cimString"/>`)
	b.WriteString(`<p:ErrorSource xsi:nil="true" xsi:type="cim:cimString"/>`)
	b.WriteString(`<p:ErrorSourceFormat xsi:type="cim:cimUnsignedShort">0</p:ErrorSourceFormat>`)
	b.WriteString(`<p:ErrorType xsi:type="cim:cimUnsignedShort">0</p:ErrorType>`)
	b.WriteString(`<p:Message xsi:type="cim:cimString">` + m + `</p:Message>`)
	fmt.Fprintf(b, `<p:MessageID xsi:type="cim:cimString">HRESULT 0x%08x</p:MessageID>`, code)
	b.WriteString(`<p:OtherErrorSourceFormat xsi:nil="true" xsi:type="cim:cimString"/>`)
	b.WriteString(`<p:OtherErrorType xsi:nil="true" xsi:type="cim:cimString"/>`)
	b.WriteString(`<p:OwningEntity xsi:nil="true" xsi:type="cim:cimString"/>`)
	b.WriteString(`<p:PerceivedSeverity xsi:type="cim:cimUnsignedShort">0</p:PerceivedSeverity>`)
	b.WriteString(`<p:ProbableCause xsi:type="cim:cimUnsignedShort">0</p:ProbableCause>`)
	b.WriteString(`<p:ProbableCauseDescription xsi:nil="true" xsi:type="cim:cimString"/>`)
	fmt.Fprintf(b, `<p:error_Category xsi:type="cim:cimUnsignedInt">%d</p:error_Category>`, wmiErrorCategoryQuota)
	fmt.Fprintf(b, `<p:error_Code xsi:type="cim:cimUnsignedInt">%d</p:error_Code>`, code)
	b.WriteString(`<p:error_Type xsi:type="cim:cimString">HRESULT</p:error_Type>`)
	b.WriteString(`<p:error_WindowsErrorMessage xsi:type="cim:cimString">` + m + `</p:error_WindowsErrorMessage>`)
	b.WriteString(`</p:MSFT_WmiError>`)
}

// statsKey is the Stats.Faults key of a fault.
func (f *fault) statsKey() string { return strconv.FormatUint(uint64(f.code32), 10) }
