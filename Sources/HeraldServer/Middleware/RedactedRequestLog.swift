import Hummingbird
import Logging

/// Logs each request's method and path at `level`, as Hummingbird's `LogRequestsMiddleware`
/// does, with the values of query parameters that carry secrets replaced by `****`: a portal
/// link's `token` (whoever reads the log could open the link first) and OCTO's delete-by-`url`
/// (a callback URL, credentials and all).
struct RedactedRequestLog<Context: RequestContext>: RouterMiddleware {
    let level: Logger.Level
    static var secretParameters: Set<Substring> { ["token", "url"] }

    init(_ level: Logger.Level) {
        self.level = level
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if context.logger.logLevel <= level {
            context.logger.log(
                level: level, "Request",
                metadata: [
                    "hb.request.path": .string(Self.redacted(path: request.uri.path, query: request.uri.query)),
                    "hb.request.method": .string(request.method.rawValue),
                ])
        }
        return try await next(request, context)
    }

    static func redacted(path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { part -> Substring in
            let name = part.prefix { $0 != "=" }
            return secretParameters.contains(name) && name.count < part.count ? "\(name)=****" : part
        }
        return path + "?" + parts.joined(separator: "&")
    }
}
