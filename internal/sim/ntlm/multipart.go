package ntlm

// The HTTP-SPNEGO-session-encrypted body (MS-WSMV 2.2.9.1.1). It only looks
// like MIME: its header lines start with a tab and the binary part has no
// blank line before it, so mime/multipart cannot read it. Clients split it on
// the boundary lines and fixed header strings, so replies must match the
// layout byte for byte.

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
)

// EncryptedContentType is the Content-Type of every encrypted request and
// reply body, faults included.
const EncryptedContentType = `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`

const (
	boundaryLine   = "--Encrypted Boundary\r\n"
	closingLine    = "--Encrypted Boundary--\r\n"
	spnegoProtocol = "application/HTTP-SPNEGO-session-encrypted"
	octetStream    = "application/octet-stream"
)

// SealMessage seals a plaintext SOAP reply and frames it as an encrypted
// body, to be sent with Content-Type [EncryptedContentType]. Like
// [Session.Seal] it panics if the session cannot seal.
func (s *Session) SealMessage(plain []byte) []byte {
	sig, sealed := s.Seal(plain)
	var b bytes.Buffer
	b.Grow(len(sealed) + 256)
	b.WriteString(boundaryLine)
	b.WriteString("\tContent-Type: " + spnegoProtocol + "\r\n")
	b.WriteString("\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + strconv.Itoa(len(plain)) + "\r\n")
	b.WriteString(boundaryLine)
	b.WriteString("\tContent-Type: " + octetStream + "\r\n")
	b.Write(binary.LittleEndian.AppendUint32(nil, signatureLen))
	b.Write(sig)
	b.Write(sealed)
	b.WriteString(closingLine)
	return b.Bytes()
}

// OpenMessage parses an encrypted request body, unseals it and checks that
// its size matches the Length the client declared. Errors wrap
// [ErrBadMessage]; the caller caps the body size before calling it.
func (s *Session) OpenMessage(body []byte) ([]byte, error) {
	sig, sealed, length, err := parseEncrypted(body)
	if err != nil {
		return nil, err
	}
	plain, err := s.Unseal(sig, sealed)
	if err != nil {
		return nil, err
	}
	if len(plain) != length {
		return nil, badf("encrypted body declares Length=%d but holds %d bytes", length, len(plain))
	}
	return plain, nil
}

// parseEncrypted splits an encrypted body into signature and sealed bytes and
// returns the declared plaintext length. Only one encrypted part is accepted:
// several parts occur only with CredSSP.
func parseEncrypted(body []byte) (sig, sealed []byte, length int, err error) {
	if !bytes.HasPrefix(body, []byte(boundaryLine)) {
		return nil, nil, 0, badf("encrypted body does not start with %q", boundaryLine)
	}
	pos := len(boundaryLine)
	i := bytes.Index(body[pos:], []byte(boundaryLine))
	if i < 0 {
		return nil, nil, 0, badf("encrypted body has no second boundary line after offset %d", pos)
	}
	if length, err = parseEncryptedHeader(body[pos:pos+i], pos); err != nil {
		return nil, nil, 0, err
	}
	pos += i + len(boundaryLine)

	// The octet-stream part has one header line, and its data starts right
	// after that line's CRLF.
	line, _, ok := bytes.Cut(body[pos:], []byte("\r\n"))
	name, value, _ := strings.Cut(strings.TrimLeft(string(line), " \t"), ":")
	if !ok || !strings.EqualFold(name, "Content-Type") || !strings.EqualFold(strings.TrimSpace(value), octetStream) {
		return nil, nil, 0, badf("encrypted body at offset %d: want the line \"\\tContent-Type: %s\", got %.60q", pos, octetStream, line)
	}
	pos += len(line) + 2
	data, ok := bytes.CutSuffix(body[pos:], []byte(closingLine))
	if !ok {
		if data, ok = bytes.CutSuffix(body[pos:], []byte(strings.TrimSuffix(closingLine, "\r\n"))); !ok {
			return nil, nil, 0, badf("encrypted body does not end with %q", closingLine)
		}
	}
	if len(data) < 4+signatureLen {
		return nil, nil, 0, badf("encrypted body at offset %d: %d bytes of data, too short for a signature (a client without a security context sends none)", pos, len(data))
	}
	if n := binary.LittleEndian.Uint32(data); n != signatureLen {
		return nil, nil, 0, badf("encrypted body at offset %d: signature length %d, want %d", pos, n, signatureLen)
	}
	return data[4 : 4+signatureLen], data[4+signatureLen:], length, nil
}

// parseEncryptedHeader checks the first part's header lines, which start at
// offset pos of the body, and returns the Length parameter of OriginalContent.
func parseEncryptedHeader(h []byte, pos int) (int, error) {
	length, sawType := -1, false
	for _, line := range strings.Split(string(h), "\r\n") {
		name, value, ok := strings.Cut(strings.TrimLeft(line, " \t"), ":")
		value = strings.TrimSpace(value)
		switch {
		case !ok:
			if strings.TrimSpace(line) != "" {
				return 0, badf("encrypted body header after offset %d: line %.60q is not \"Name: value\"", pos, line)
			}
		case strings.EqualFold(name, "Content-Type"):
			if !strings.EqualFold(value, spnegoProtocol) {
				return 0, badf("encrypted body header after offset %d: Content-Type %.60q, want %q", pos, value, spnegoProtocol)
			}
			sawType = true
		case strings.EqualFold(name, "OriginalContent"):
			for _, param := range strings.Split(value, ";") {
				k, v, _ := strings.Cut(param, "=")
				if !strings.EqualFold(strings.TrimSpace(k), "Length") {
					continue
				}
				n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 31)
				if err != nil {
					return 0, badf("encrypted body header after offset %d: OriginalContent Length %.20q is not a size", pos, v)
				}
				length = int(n)
			}
		}
	}
	if !sawType {
		return 0, badf("encrypted body header after offset %d has no Content-Type %s", pos, spnegoProtocol)
	}
	if length < 0 {
		return 0, badf("encrypted body header after offset %d has no OriginalContent Length", pos)
	}
	return length, nil
}
