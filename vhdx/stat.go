package vhdx

// Stat reads one file's description without opening its parents: what a
// listing needs (virtual size, whether it is differencing, its parent
// locator) even when the chain cannot be resolved here.
func Stat(path string) (Info, error) {
	d, err := openLayer(path, true)
	if err != nil {
		return Info{}, err
	}
	defer d.l.f.Close()
	return d.Info(), nil
}
