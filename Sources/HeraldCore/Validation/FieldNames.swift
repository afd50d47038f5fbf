/// The fields a write body may carry, and the message for one it may not: a typo must not pass
/// as "nothing to change" (`{"is_actve": true}` once made an inactive webhook and answered 201).
public struct FieldNames: Sendable {
    /// The fields the endpoint reads.
    public let known: [String]
    /// Fields of the read model that a write ignores, so that a client can send back what it read.
    public let readOnly: Set<String>

    /// The known names as ``closest(to:)`` compares them, folded once.
    private let folded: [[UInt8]]

    /// Unknown fields reported per object at most: a body of a million unknown keys gets a short
    /// answer, not one a hundred times its size.
    public static let maxReported = 10
    /// Names longer than this get no suggestion (an edit distance costs their length times the
    /// known names'), and are shown cut to it.
    public static let maxNameLength = 64

    public init(_ known: [String], readOnly: [String] = []) {
        self.known = known
        self.readOnly = Set(readOnly)
        self.folded = known.map(Self.fold)
    }

    /// The names in `object` that are neither known nor read-only, in name order.
    public func unknown<Value>(in object: [String: Value]) -> [String] {
        object.keys.filter { !known.contains($0) && !readOnly.contains($0) }.sorted()
    }

    /// A message for each unknown name in `object`, at most ``maxReported`` (then one saying how
    /// many more), each name cut to ``maxNameLength``.
    public func problems<Value>(in object: [String: Value], prefix: String = "") -> [(field: String, message: String)] {
        let names = unknown(in: object)
        var problems = names.prefix(Self.maxReported).map { name in
            (field: prefix + Self.shown(name), message: problem(with: name))
        }
        if names.count > Self.maxReported {
            problems.append(
                (field: prefix + "base", message: "and \(names.count - Self.maxReported) more unknown fields"))
        }
        return problems
    }

    /// `name` as messages show it: cut to ``maxNameLength`` characters.
    static func shown(_ name: String) -> String {
        name.count > maxNameLength ? String(name.prefix(maxNameLength)) + "…" : name
    }

    /// What to say of `name`, which is not a field: the closest known field when there is one.
    public func problem(with name: String) -> String {
        if known.isEmpty { return "is not a known field: this takes no fields" }
        if let closest = closest(to: name) { return "is not a known field; did you mean `\(closest)`?" }
        return "is not a known field (known fields: \(known.joined(separator: ", ")))"
    }

    /// The known field `name` most likely meant: the same one in another case or with other
    /// separators (`isActive`, `Is-Active`), or one a few edits away (`is_actve`).
    public func closest(to name: String) -> String? {
        guard name.utf8.count <= Self.maxNameLength else { return nil }
        let folded = Self.fold(name)
        if let index = self.folded.firstIndex(of: folded) { return known[index] }
        let limit = max(1, min(3, folded.count / 3))
        var best: (name: String, distance: Int)?
        for (candidate, other) in zip(known, self.folded) where abs(other.count - folded.count) <= limit {
            let distance = Self.editDistance(folded, other)
            if distance <= limit, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// Lower case, without `_`, `-`, `.` or spaces.
    static func fold(_ name: String) -> [UInt8] {
        name.utf8.compactMap { byte in
            switch byte {
            case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: " "): nil
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte + 32
            default: byte
            }
        }
    }

    /// Edits (insert, delete, replace, swap of neighbours) from `a` to `b`.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}

extension FieldReader {
    /// Fails each field of the object that `fields` does not name.
    public mutating func refuseUnknown(_ fields: FieldNames) {
        for problem in fields.problems(in: object) { fail(problem.field, problem.message) }
    }
}
