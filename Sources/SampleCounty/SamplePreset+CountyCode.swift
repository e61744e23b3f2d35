extension SamplePreset {
    /// The county's administrative division code (行政区划代码), the key of a county in a PostgreSQL store of many:
    /// the real codes of Jiande (330182) and Liyang (320481); 3399xx, a prefecture number Zhejiang does not use, for
    /// the made-up tiny and imperfect counties.
    public var countyCode: String {
        switch self {
        case .tiny: "339901"
        case .jiande: "330182"
        case .liyang: "320481"
        case .imperfect: "339902"
        }
    }
}
