import HTTPTypes
import HeraldCore
import Hummingbird
import Logging

/// Turns every error into the dialect's error shape (OCTO under `/octo`, Channex elsewhere): framework errors (unknown route, body too
/// large) as well as unexpected ones, which are logged (Hummingbird would log them only at debug).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = HeraldRequestContext

    /// What a path that no route of the request's method matched answers instead: 405 with
    /// `Allow` when other methods have a route there.
    let allowed: AllowedMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let octo = request.uri.path.hasPrefix("/octo/") || request.uri.path == "/octo"
        func render(_ error: ChannexError) throws -> Response {
            octo
                ? try OctoError(error).response(from: request, context: context)
                : try error.response(from: request, context: context)
        }
        do {
            return try await next(request, context)
        } catch let error as OctoError {
            return try error.response(from: request, context: context)
        } catch let error as ChannexError {
            return try render(error)
        } catch let error as ValidationErrors {
            return try render(ChannexError.validation(error))
        } catch StoreError.notFound {
            return try render(ChannexError.notFound)
        } catch is StoreOverloaded {
            return try render(ChannexError.overloaded)
        } catch let error as HTTPResponseError {
            if error.status == .notFound {
                let methods = allowed.methods(for: request.uri.path)
                // A route that takes this method and still missed is a 404, never a 405 that
                // lists the method it refuses.
                if !methods.isEmpty, !methods.contains(request.method.rawValue) {
                    var refusal = ChannexError.methodNotAllowed(request.method, allowed: methods)
                    refusal.headers[.allow] = methods.joined(separator: ", ")
                    return try render(refusal)
                }
                return try render(ChannexError.noRoute(request.method, request.uri.path))
            }
            return try render(Self.channex(for: error.status))
        } catch {
            context.logger.error(
                "unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return try render(ChannexError.internalError)
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
