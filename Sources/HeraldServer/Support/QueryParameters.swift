import Foundation
import HeraldCore
import Hummingbird
import HummingbirdCore

/// Query parameters with percent-decoded names, so `pagination%5Bpage%5D` reads as `pagination[page]`.
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ uri: URI) {
        for (key, value) in uri.queryParameters {
            let name = String(key).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(key)
            values[name] = String(value)
        }
    }

    subscript(name: String) -> String? { values[name] }

    /// `pagination[page]` (from 1) and `pagination[limit]` (1...100; larger values are clamped to 100).
    func page() throws -> PageRequest {
        var errors = ValidationErrors()
        var page = 1
        var limit = PageRequest.defaultLimit
        if let text = self["pagination[page]"] {
            if let value = Int(text), value >= 1, value <= PageRequest.maxPage {
                page = value
            } else {
                errors.add("pagination[page]", "must be a whole number from 1")
            }
        }
        if let text = self["pagination[limit]"] {
            if let value = Int(text), value >= 1 {
                limit = min(value, PageRequest.maxLimit)
            } else {
                errors.add("pagination[limit]", "must be a whole number from 1 to \(PageRequest.maxLimit)")
            }
        }
        if !errors.isEmpty { throw ChannexError.validation(errors) }
        return PageRequest(page: page, limit: limit)
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = self[name] else { return nil }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw ChannexError.validation(name, "must be true or false")
        }
    }

    func uuid(_ name: String) throws -> UUID? {
        guard let text = self[name] else { return nil }
        guard let id = UUID(text: text) else { throw ChannexError.validation(name, "must be a valid UUID") }
        return id
    }
}

extension QueryParameters {
    /// `name` as an ISO 8601 date-time.
    func date(_ name: String) throws -> Date? {
        guard let text = self[name] else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw ChannexError.validation(name, "must be an ISO 8601 date-time")
        }
        return date
    }
}

/// Reads several query parameters, collecting every problem before answering one 422.
struct QueryReader {
    let query: QueryParameters
    private(set) var errors = ValidationErrors()

    init(_ uri: URI) {
        query = QueryParameters(uri)
    }

    /// The value `body` reads, or nil with its problems kept for ``check()``.
    mutating func read<T>(_ body: (QueryParameters) throws -> T?) -> T? {
        do {
            return try body(query)
        } catch let error as ChannexError {
            for (field, messages) in error.details ?? [:] { messages.forEach { errors.add(field, $0) } }
        } catch {
            errors.add("base", "\(error)")
        }
        return nil
    }

    /// Throws the 422 of every problem read so far.
    func check() throws {
        if !errors.isEmpty { throw ChannexError.validation(errors) }
    }
}
