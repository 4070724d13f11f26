package session

// splitFirst splits a JSON array into its first element and an array of the
// rest: an EVENT's name and its arguments. data must be valid JSON (the
// Socket.IO decoder validated it); ok is false if it is not a non-empty
// array. If owned, data is the caller's scratch: rest reuses it (the comma
// after the first element becomes the '[') instead of copying the tail,
// which for binary arguments is tens of kilobytes of base64.
func splitFirst(data []byte, owned bool) (first, rest []byte, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil, nil, false
	}
	i = skipSpace(data, i+1)
	start := i
	depth, inStr := 0, false
scan:
	for ; i < len(data); i++ {
		c := data[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 {
				break scan
			}
			depth--
		case ',':
			if depth == 0 {
				break scan
			}
		}
	}
	if i >= len(data) || i == start {
		return nil, nil, false
	}
	end := i
	for end > start && isSpace(data[end-1]) {
		end--
	}
	first = data[start:end]
	if data[i] == ']' {
		return first, []byte("[]"), true
	}
	if owned {
		data[i] = '['
		return first, data[i:], true
	}
	tail := data[i+1:]
	rest = make([]byte, 0, len(tail)+1)
	rest = append(append(rest, '['), tail...)
	return first, rest, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
