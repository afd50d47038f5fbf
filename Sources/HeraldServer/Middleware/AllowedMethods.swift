import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each registered path answers, so that a known path asked with another method
/// answers 405 with `Allow` rather than reading as not found.
final class AllowedMethods: Sendable {
    private struct Route: Sendable {
        /// Path segments; nil where the route captures one (`:id`).
        var segments: [String?]
        var methods: Set<HTTPRequest.Method>
    }

    private let routes = Mutex<[Route]>([])

    /// Takes the router's routes, once they are all added.
    func load(_ descriptions: [Router<HeraldRequestContext>.RouteDescription]) {
        var byPath: [String: Route] = [:]
        for description in descriptions {
            let text = description.path.description
            let segments = text.split(separator: "/").map { segment -> String? in
                segment.hasPrefix(":") || segment.hasPrefix("{") || segment == "*" ? nil : String(segment)
            }
            byPath[text, default: Route(segments: segments, methods: [])].methods.insert(description.method)
        }
        routes.withLock { $0 = Array(byPath.values) }
    }

    /// The methods `path` answers, by name; empty when no route has that path.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { pattern, segment in
                        pattern.map { $0 == segment } ?? true
                    }
            }.reduce(into: Set<HTTPRequest.Method>()) { $0.formUnion($1.methods) }
        }
        return methods.map(\.rawValue).sorted()
    }
}
