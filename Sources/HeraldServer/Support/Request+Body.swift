import Foundation
import HeraldCore
import Hummingbird
import NIOCore

/// Reads JSON request bodies within ``BodyLimits``, refusing in the dialect's error shapes.
extension Request {
    /// The body as JSON, refused with 413 past `limit` bytes and 400 when it is not JSON.
    mutating func jsonBody(limit: BodyLimit, maxDepth: Int, buffer collected: ByteBuffer? = nil) async throws
        -> JSONValue
    {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit.bytes {
            throw ChannexError.payloadTooLarge(limit)
        }
        let buffer: ByteBuffer
        do {
            if let collected { buffer = collected } else { buffer = try await collectBody(upTo: limit.bytes) }
        } catch is NIOTooManyBytesError {
            throw ChannexError.payloadTooLarge(limit)
        }
        guard buffer.readableBytes > 0 else { throw ChannexError.badRequest("Request body is empty; JSON expected") }
        do {
            return try JSONValue.decode(buffer.readableBytesView, maxDepth: maxDepth)
        } catch {
            switch error.reason {
            case .tooDeep: throw ChannexError.badRequest(error.description)
            case .invalid: throw ChannexError.badRequest("Request body is not valid JSON: \(error)")
            }
        }
    }

    /// A 422 naming each member of `object` that `fields` does not know, and each of `required`
    /// that it lacks.
    func refuseUnknown(in object: [String: JSONValue], _ fields: FieldNames, required: [String] = []) throws {
        var errors = ValidationErrors()
        for problem in fields.problems(in: object) { errors.add(problem.field, problem.message) }
        for name in required where object[name] == nil { errors.add(name, "can't be blank") }
        if !errors.isEmpty { throw ChannexError.validation(errors) }
    }

    /// The object under `key` of a `{"<key>": {...}}` body.
    mutating func wrappedObject(_ key: String, limits: BodyLimits) async throws -> [String: JSONValue] {
        let body = try await jsonBody(limit: limits.writeLimit, maxDepth: limits.maxDepth)
        guard case .object(let top) = body else { throw ChannexError.badRequest("Request body must be a JSON object") }
        try refuseUnknown(in: top, FieldNames([key]), required: [key])
        guard let inner = top[key] else { throw ChannexError.validation(key, "can't be blank") }
        guard case .object(let object) = inner else { throw ChannexError.validation(key, "must be an object") }
        return object
    }
}
