import HTTPTypes
import HeraldCore
import Hummingbird
import Logging

/// Turns every error into the dialect's error shape: framework errors (unknown route, body too
/// large) as well as unexpected ones, which are logged (Hummingbird would log them only at debug).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as ChannexError {
            return try error.response(from: request, context: context)
        } catch let error as ValidationErrors {
            return try ChannexError.validation(error).response(from: request, context: context)
        } catch let error as HTTPResponseError {
            return try Self.channex(for: error.status).response(from: request, context: context)
        } catch {
            context.logger.error(
                "unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return try ChannexError.internalError.response(from: request, context: context)
        }
    }

    static func channex(for status: HTTPResponse.Status) -> ChannexError {
        switch status {
        case .notFound: .notFound
        case .contentTooLarge: .payloadTooLarge
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden()
        case .methodNotAllowed: .methodNotAllowed()
        case .badRequest: .badRequest("The request could not be read")
        default:
            ChannexError(
                status: status, code: status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                title: status.reasonPhrase)
        }
    }
}
