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

    /// Takes the router's routes, once they are all added. HEAD goes wherever GET does (the
    /// router answers it).
    func load(_ descriptions: [Router<HeraldRequestContext>.RouteDescription]) {
        var byPath: [String: Route] = [:]
        for description in descriptions {
            let text = description.path.description
            let segments = text.split(separator: "/").map { segment -> String? in
                segment.hasPrefix(":") || segment.hasPrefix("{") || segment == "*" ? nil : String(segment)
            }
            byPath[text, default: Route(segments: segments, methods: [])].methods.insert(description.method)
            if description.method == .get { byPath[text]?.methods.insert(.head) }
        }
        routes.withLock { $0 = Array(byPath.values) }
    }

    /// The methods of the route the router resolves `path` to, by name; empty when no route has
    /// that path. Like the router, the most specific route wins: a literal segment over a
    /// capture, from the left (`/webhooks/test` is the `test` route, not `{id}`).
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let best = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { pattern, segment in
                        pattern.map { $0 == segment } ?? true
                    }
            }.max { Self.specificity($0) < Self.specificity($1) }
        }
        return (best?.methods ?? []).map(\.rawValue).sorted()
    }

    /// Literal segments as the bits of a number, the leftmost highest: a literal earlier in the
    /// path beats any captures after it, as in the router's trie.
    private static func specificity(_ route: Route) -> UInt64 {
        route.segments.prefix(63).reduce(0) { $0 << 1 | ($1 == nil ? 0 : 1) }
    }
}
