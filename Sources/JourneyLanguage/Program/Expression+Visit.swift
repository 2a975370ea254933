extension Expression {
    /// Calls `body` on this expression and every sub-expression.
    public func visit(_ body: (Expression) -> Void) {
        body(self)
        switch self {
        case .unary(_, let operand), .exists(let operand): operand.visit(body)
        case .binary(_, let l, let r):
            l.visit(body)
            r.visit(body)
        case .call(_, let arguments), .list(let arguments): for argument in arguments { argument.visit(body) }
        case .eventCount(_, let filter, _): filter?.visit(body)
        default: break
        }
    }
}
