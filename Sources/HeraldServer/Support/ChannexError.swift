import HTTPTypes
import HeraldCore
import Hummingbird

/// An error at the HTTP boundary of the Channex dialect:
/// `{"errors": {"code", "title", "details"?}}`.
public struct ChannexError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var title: String
    public var details: [String: [String]]?
    public var headers: HTTPFields = [:]

    public init(status: HTTPResponse.Status, code: String, title: String, details: [String: [String]]? = nil) {
        self.status = status
        self.code = code
        self.title = title
        self.details = details
    }

    public static let unauthorized = ChannexError(status: .unauthorized, code: "unauthorized", title: "Unauthorized")
    public static let notFound = ChannexError(
        status: .notFound, code: "resource_not_found", title: "Resource Not Found")
    public static let payloadTooLarge = ChannexError(
        status: .contentTooLarge, code: "payload_too_large", title: "Payload Too Large")
    /// A body past `limit`: the 413 says how large a body may be and what raises the limit.
    static func payloadTooLarge(_ limit: BodyLimit) -> ChannexError {
        ChannexError(
            status: .contentTooLarge, code: "payload_too_large", title: "Payload Too Large",
            details: [
                "base": ["the body is larger than \(limit.bytes) bytes, the limit here; \(limit.setting) raises it"]
            ])
    }
    public static let internalError = ChannexError(
        status: .internalServerError, code: "internal_server_error", title: "Internal Server Error")

    public static func forbidden(_ reason: String? = nil) -> ChannexError {
        ChannexError(status: .forbidden, code: "forbidden", title: "Forbidden", details: reason.map { ["base": [$0]] })
    }

    public static func badRequest(_ reason: String) -> ChannexError {
        ChannexError(status: .badRequest, code: "bad_request", title: "Bad Request", details: ["base": [reason]])
    }

    public static func validation(_ errors: ValidationErrors) -> ChannexError {
        ChannexError(
            status: .unprocessableContent, code: "validation_error", title: "Validation Error", details: errors.details)
    }

    public static func validation(_ field: String, _ message: String) -> ChannexError {
        validation(ValidationErrors(field, message))
    }

    /// More work waits to be committed than the store takes: the client tries again shortly.
    public static var overloaded: ChannexError {
        var error = ChannexError(
            status: .serviceUnavailable, code: "service_unavailable", title: "Service Unavailable",
            details: ["base": ["too many requests are waiting to be stored; retry shortly"]])
        error.headers[.retryAfter] = "1"
        return error
    }

    public static func methodNotAllowed() -> ChannexError {
        ChannexError(status: .methodNotAllowed, code: "method_not_allowed", title: "Method Not Allowed")
    }

    /// A known path asked with a method it does not answer.
    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [String]) -> ChannexError {
        ChannexError(
            status: .methodNotAllowed, code: "method_not_allowed", title: "Method Not Allowed",
            details: ["base": ["\(method.rawValue) is not allowed here; allowed: \(allowed.joined(separator: ", "))"]])
    }

    /// No route has this path.
    static func noRoute(_ method: HTTPRequest.Method, _ path: String) -> ChannexError {
        ChannexError(
            status: .notFound, code: "resource_not_found", title: "Resource Not Found",
            details: ["base": ["no route for \(method.rawValue) \(path.prefix(200))"]])
    }

    public var body: JSONValue {
        var error: [String: JSONValue] = ["code": .string(code), "title": .string(title)]
        if let details {
            error["details"] = .object(details.mapValues { .array($0.map(JSONValue.string)) })
        }
        return ["errors": .object(error)]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse(status: status, body: body).response()
        response.headers.append(contentsOf: headers)
        return response
    }
}
