import Foundation

extension RoutingRules {
    /// The rules `gridwork serve` uses without `--rules`: `config/routing.json` as shipped, built into the binary so
    /// they hold wherever it is run from (`.build/release/gridwork`, an installed copy). A test checks that the two
    /// stay the same.
    public static var shipped: RoutingRules {
        // The text is valid JSON of this type (the test decodes config/routing.json and compares).
        try! JSONDecoder().decode(RoutingRules.self, from: Data(shippedJSON.utf8))
    }

    /// The shipped rules fitted to a county: department categories that no department of the database lists (and
    /// the rules name no department for) are left out, so a county without departments.csv still starts; its grid
    /// categories still go to grid workers.
    public static func shipped(fittedTo directory: CountyDirectory) -> RoutingRules {
        var rules = shipped
        rules.categories = rules.categories.filter { code, rule in
            rule.owner == .grid || rule.department != nil || directory.departmentOfCategory[code] != nil
        }
        return rules
    }

    /// `config/routing.json` as shipped.
    static let shippedJSON = """
        {
          "defaultDeadlineHours": 72,
          "escalationStepHours": 24,
          "snapMetres": 30,
          "repeatWindowDays": 30,
          "categories": {
            "dispute":              { "owner": "grid",       "deadlineHours": 48,  "label": "矛盾纠纷 Neighbour dispute" },
            "garbage":              { "owner": "grid",       "deadlineHours": 24,  "label": "垃圾清运 Garbage" },
            "street_vending":       { "owner": "grid",       "deadlineHours": 24,  "label": "占道经营 Street vending" },
            "elderly_care":         { "owner": "grid",       "deadlineHours": 72,  "label": "养老服务 Elderly care visit" },
            "public_order":         { "owner": "grid",       "deadlineHours": 24,  "label": "治安隐患 Public order" },
            "housing_safety":       { "owner": "department", "deadlineHours": 12,  "label": "房屋安全 Housing safety" },
            "flood_control":        { "owner": "department", "deadlineHours": 12,  "label": "防汛防台 Flood control" },
            "work_safety":          { "owner": "department", "deadlineHours": 24,  "label": "安全生产 Work safety" },
            "pollution":            { "owner": "department", "deadlineHours": 72,  "label": "环境污染 Pollution" },
            "illegal_construction": { "owner": "department", "deadlineHours": 120, "label": "违章搭建 Illegal construction" }
          }
        }
        """
}
