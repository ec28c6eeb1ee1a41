package config

import (
	"encoding"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts every environment variable of the configuration.
const EnvPrefix = "CARENET_"

// Load returns Default(), overlaid with the YAML file at path (skipped when
// path is empty; unknown keys are an error), overlaid with CARENET_*
// environment variables. It does not call Validate.
func Load(path string) (Config, error) {
	return load(path, os.Getenv)
}

func load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		if err := decodeFile(path, &c); err != nil {
			return Config{}, err
		}
	}
	if err := LoadEnv(&c, getenv); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}
	return c, nil
}

func decodeFile(path string, c *Config) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) { // empty file: defaults
			return nil
		}
		return fmt.Errorf("config: %s: %w", path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("config: %s: want one YAML document, found more", path)
	}
	return nil
}

// LoadEnv overlays c with environment variables read through getenv: the
// key path a.b_c is read from CARENET_A_B_C (so data_key from
// CARENET_DATA_KEY). Values are trimmed; an empty value leaves the key
// alone. Strings are taken as they are; booleans as strconv.ParseBool
// (true/false/1/0); integers and floats in decimal; durations like "30s",
// "24h" or "7d"; lists comma-separated. Every bad value is reported, each
// naming its variable.
func LoadEnv(c *Config, getenv func(string) string) error {
	ls, err := leaves(reflect.ValueOf(c).Elem())
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range ls {
		name := EnvName(l.path)
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		if err := setString(l.value, v); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", name, l.path, err))
		}
	}
	return errors.Join(errs...)
}

// EnvName is the environment variable for a key path:
// "quiet_hours.start" -> "CARENET_QUIET_HOURS_START".
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// Keys lists every leaf key path of Config ("store.path", ...) in struct
// order.
func Keys() []string {
	ls, err := leaves(reflect.ValueOf(&Config{}).Elem())
	if err != nil {
		panic(err) // a programming error, caught by the tests
	}
	keys := make([]string, len(ls))
	for i, l := range ls {
		keys[i] = l.path
	}
	return keys
}

// leaf is one settable field and its key path.
type leaf struct {
	path  string
	value reflect.Value
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// leaves walks the struct v (addressable) by yaml tags, recursing into
// nested structs, and returns the leaves. A leaf of a type setString cannot
// set is an error.
func leaves(v reflect.Value) ([]leaf, error) {
	var out []leaf
	var walk func(v reflect.Value, prefix string) error
	walk = func(v reflect.Value, prefix string) error {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name) // yaml's own default
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			fv := v.Field(i)
			if fv.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(textUnmarshaler) {
				p := path
				if strings.Contains(opts, "inline") {
					p = prefix
				}
				if err := walk(fv, p); err != nil {
					return err
				}
				continue
			}
			if !settable(f.Type) {
				return fmt.Errorf("config: key %s: type %s has no environment support", path, f.Type)
			}
			out = append(out, leaf{path: path, value: fv})
		}
		return nil
	}
	if err := walk(v, ""); err != nil {
		return nil, err
	}
	return out, nil
}

var durationType = reflect.TypeFor[time.Duration]()

func settable(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(textUnmarshaler) || t == durationType {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}

// setString parses s into the leaf v according to its type.
func setString(v reflect.Value, s string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(s))
	}
	if v.Type() == durationType {
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (true/false): %w", s, numErr(err))
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer: %w", s, numErr(err))
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer: %w", s, numErr(err))
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number: %w", s, numErr(err))
		}
		v.SetFloat(f)
	case reflect.Slice: // []string, checked by settable
		var items []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items).Convert(v.Type()))
	default:
		return fmt.Errorf("type %s has no environment support", v.Type())
	}
	return nil
}

// numErr unwraps a *strconv.NumError to its cause (ErrSyntax, ErrRange),
// whose text does not repeat the value.
func numErr(err error) error {
	if ne, ok := errors.AsType[*strconv.NumError](err); ok {
		return ne.Err
	}
	return err
}
