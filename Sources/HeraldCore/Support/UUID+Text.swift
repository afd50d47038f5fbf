import Foundation

extension UUID {
    /// The lowercase form Herald stores and answers with (as Channex does).
    public var text: String { uuidString.lowercased() }
}
