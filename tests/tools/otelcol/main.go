// Command otelcol-gotap is the smallest OpenTelemetry Collector gotap's tests need: the OTLP
// receiver, the debug exporter (it logs every span it receives, which the tests read) and the
// OTLP/HTTP exporter, with the batch processor available.
//
// scripts/otelcol.sh builds it inside a Debian sid root from golang-opentelemetry-collector-dev,
// in GOPATH mode (GO111MODULE=off GOPATH=/usr/share/gocode), so there is no go.mod here.
//
//	otelcol-gotap --config=FILE     run with FILE (see config.yaml.in)
//	otelcol-gotap --version         print the version and exit
package main

import (
	"log"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// version is set at link time (-X main.version=...) to the Debian package's version.
var version = "dev"

// factories lists the components a config may name.
func factories() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	if f.Processors, err = otelcol.MakeFactoryMap[processor.Factory](batchprocessor.NewFactory()); err != nil {
		return f, err
	}
	if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](
		debugexporter.NewFactory(), otlphttpexporter.NewFactory()); err != nil {
		return f, err
	}
	// The collector's own logs and (disabled by the config) metrics; v0.152 requires one.
	f.Telemetry = otelconftelemetry.NewFactory()
	return f, nil
}

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-gotap",
			Description: "OpenTelemetry Collector for gotap's tests",
			Version:     version,
		},
		Factories: factories,
		// --config takes a file path; "file" is also the scheme of a bare path.
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
				DefaultScheme:     "file",
			},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
}
