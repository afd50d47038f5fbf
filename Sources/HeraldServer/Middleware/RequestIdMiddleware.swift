import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id, on each of its log lines (`hb.request.id`) and echoed in
/// `X-Request-Id`. A caller's own `X-Request-Id` (1–128 letters, digits, `.`, `_`, `-`) is kept,
/// so one id follows a request from the publisher's logs into Herald's.
struct RequestIdMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext

    static var header: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        if let given = request.headers[Self.header], Self.isAcceptable(given) {
            context.logger[metadataKey: "hb.request.id"] = .string(given)
        }
        let id = context.id
        var response = try await next(request, context)
        response.headers[Self.header] = id
        return response
    }

    static func isAcceptable(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }
}
