package recordings

import "github.com/sioproxy/sioproxy/internal/obs"

// LineDecoder and DecodeLineJSON expose the two line decoders to the
// external tests, which can import what imports this package (synthrec).
type LineDecoder struct{ d lineDecoder }

func (d *LineDecoder) Decode(b []byte) (obs.Obs, bool) { return d.d.decode(b) }

func DecodeLineJSON(b []byte) (obs.Obs, error) { return decodeLineJSON(b) }
