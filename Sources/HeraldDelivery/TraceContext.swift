import NIOHTTP1
import Tracing

/// W3C trace context (`traceparent`) between Herald's spans, its stored events and its outgoing
/// deliveries. With tracing off (no tracer bootstrapped) every function here does nothing.
public enum TraceContext {
    /// The `traceparent` of `context`'s span; nil when tracing is off.
    public static func traceParent(of context: ServiceContext) -> String? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        return carrier["traceparent"]
    }

    /// A context whose spans continue the trace `traceParent` names (a new trace when nil).
    public static func continuing(_ traceParent: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        if let traceParent {
            InstrumentationSystem.instrument.extract(
                ["traceparent": traceParent], into: &context, using: DictionaryExtractor())
        }
        return context
    }

    /// Adds the current span's `traceparent` to an outgoing request, replacing one a webhook's own
    /// headers set.
    static func inject(into headers: inout HTTPHeaders) {
        guard let context = ServiceContext.current else { return }
        InstrumentationSystem.instrument.inject(context, into: &headers, using: HeadersInjector())
    }

    struct DictionaryInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
            carrier[key] = value
        }
    }

    struct DictionaryExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }

    struct HeadersInjector: Injector {
        func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
            headers.replaceOrAdd(name: key, value: value)
        }
    }
}
