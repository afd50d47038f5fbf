/// OCTO's `diff`: how an entity changed, as `{op, path, was, value}` entries with JSON Pointer
/// paths (`add`, `remove`, `replace`); `was` and `value` are any JSON.
public enum JSONDiff {
    public static func diff(from old: JSONValue, to new: JSONValue) -> [JSONValue] {
        var operations: [JSONValue] = []
        walk(old, new, path: "", into: &operations)
        return operations
    }

    static func walk(_ old: JSONValue, _ new: JSONValue, path: String, into operations: inout [JSONValue]) {
        switch (old, new) {
        case (.object(let before), .object(let after)):
            for key in Set(before.keys).union(after.keys).sorted() {
                let child = path + "/" + escape(key)
                switch (before[key], after[key]) {
                case (let was?, let value?): walk(was, value, path: child, into: &operations)
                case (let was?, nil): operations.append(["op": "remove", "path": .string(child), "was": was])
                case (nil, let value?): operations.append(["op": "add", "path": .string(child), "value": value])
                case (nil, nil): break
                }
            }
        case (.array(let before), .array(let after)):
            for index in 0..<max(before.count, after.count) {
                let child = path + "/" + String(index)
                if index < before.count, index < after.count {
                    walk(before[index], after[index], path: child, into: &operations)
                } else if index < after.count {
                    operations.append(["op": "add", "path": .string(child), "value": after[index]])
                }
            }
            // Removals from the end backwards, so each path is valid when applied in order.
            if before.count > after.count {
                for index in (after.count..<before.count).reversed() {
                    operations.append([
                        "op": "remove", "path": .string(path + "/" + String(index)), "was": before[index],
                    ])
                }
            }
        default:
            if old != new {
                operations.append([
                    "op": "replace", "path": .string(path.isEmpty ? "/" : path), "was": old, "value": new,
                ])
            }
        }
    }

    /// RFC 6901: `~` as `~0`, `/` as `~1`.
    static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
