import HTTPTypes
import HeraldCore
import Hummingbird

/// An error at the HTTP boundary of the OCTO dialect: `{"error": "CODE", "errorMessage": "..."}`
/// plus the code's own fields (e.g. `webhookId`).
public struct OctoError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var extra: [String: JSONValue] = [:]
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, code: String, message: String, extra: [String: JSONValue] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
    }

    public static func badRequest(_ message: String) -> OctoError {
        OctoError(status: .badRequest, code: "BAD_REQUEST", message: message)
    }

    public static func forbidden(_ message: String) -> OctoError {
        OctoError(status: .forbidden, code: "FORBIDDEN", message: message)
    }

    public static func invalidWebhookId(_ id: String) -> OctoError {
        OctoError(
            status: .badRequest, code: "INVALID_WEBHOOK_ID", message: "The webhook ID was invalid or missing",
            extra: ["webhookId": .string(id)])
    }

    /// The OCTO form of an error raised in the shared layers (auth, limits, body reading).
    public init(_ error: ChannexError) {
        let message =
            ([error.title]
            + (error.details ?? [:]).sorted { $0.key < $1.key }.flatMap { field, messages in
                messages.map { field == "base" ? $0 : "\(field) \($0)" }
            }).joined(separator: ": ")
        switch error.status {
        case .unauthorized:
            self.init(status: .unauthorized, code: "UNAUTHORIZED", message: "The API key is missing or invalid")
        case .forbidden: self.init(status: .forbidden, code: "FORBIDDEN", message: message)
        case .notFound: self.init(status: .notFound, code: "NOT_FOUND", message: message)
        case .methodNotAllowed: self.init(status: .methodNotAllowed, code: "METHOD_NOT_ALLOWED", message: message)
        case .unprocessableContent: self.init(status: .badRequest, code: "BAD_REQUEST", message: message)
        case .tooManyRequests: self.init(status: .tooManyRequests, code: "TOO_MANY_REQUESTS", message: message)
        case .serviceUnavailable:
            self.init(status: .serviceUnavailable, code: "SERVICE_UNAVAILABLE", message: message)
        case .internalServerError:
            self.init(status: .internalServerError, code: "INTERNAL_SERVER_ERROR", message: message)
        default: self.init(status: error.status, code: "BAD_REQUEST", message: message)
        }
        headers = error.headers
    }

    public var body: JSONValue {
        var object = extra
        object["error"] = .string(code)
        object["errorMessage"] = .string(message)
        return .object(object)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse(status: status, body: body).response()
        response.headers.append(contentsOf: headers)
        return response
    }
}
