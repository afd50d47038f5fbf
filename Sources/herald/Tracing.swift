import HeraldServer
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// Traces over OTLP/HTTP, when a collector is named: `--otlp-endpoint`, else the standard
/// `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`. Off otherwise: no tracer
/// is bootstrapped and spans cost next to nothing.
enum TraceExport {
    /// Bootstraps the tracer and returns the exporter to run beside the application; nil when off.
    static func start(settings: SettingsReader, logger: Logger) throws -> (any Service)? {
        let endpoint = try settings.text(HeraldSettings.otlpEndpoint)
        let standard = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].contains {
            Environment.value($0) != nil
        }
        guard endpoint != nil || standard else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "herald"
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        // The collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it: traces go to /v1/traces.
        if let endpoint {
            configuration.traces.otlpExporter.endpoint =
                endpoint.hasSuffix("/v1/traces")
                ? endpoint : (endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint) + "/v1/traces"
        }
        let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(tracer)
        logger.info(
            "tracing on", metadata: ["endpoint": "\(endpoint ?? "from OTEL_EXPORTER_OTLP_*")"])
        return service
    }
}
