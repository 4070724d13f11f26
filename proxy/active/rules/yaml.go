package rules

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// isYAML tells a YAML rules file by its name.
func isYAML(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}

// yamlToJSON turns a YAML rules file into the JSON form Parse reads, so
// both share one schema and one set of error messages.
func yamlToJSON(data []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("rules: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("rules: %v", err)
	}
	return b, nil
}

// ParseFile parses the contents of the rules file at path: YAML for .yaml
// and .yml, JSON otherwise.
func ParseFile(path string, data []byte, parse ParseFilter) (*Set, error) {
	if isYAML(path) {
		j, err := yamlToJSON(data)
		if err != nil {
			return nil, err
		}
		data = j
	}
	return Parse(data, parse)
}
