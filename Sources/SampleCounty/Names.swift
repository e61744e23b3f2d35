/// Synthetic Chinese place and person names, built from common characters. None is taken from a real register.
enum Names {
    static let placeCharacters = Array(
        "安宁平和兴丰乐福寿康泰清源溪山岭坞塘桥湾洲田石梅桃杨柳松竹云霞龙凤新东西南上中里沙洋江湖泉林峰岩坑畈埠庄圩港"
            + "华盛永昌隆德义仁礼智信春秋阳明光辉金银玉白青黄红绿长高广远方圆")
    static let surnames = Array(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金方")
    static let givenCharacters = Array(
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉林斌宇浩凯晨欣怡佳琳雪梅海波鹏飞俊峰龙婷慧燕晓春兰凤新国民志")

    /// A two-character stem not yet in `used`, which it joins.
    static func placeStem(_ random: inout Xoshiro256, used: inout Set<String>, suffix: String) -> String {
        for attempt in 0..<1000 {
            var stem = String(random.element(placeCharacters)) + String(random.element(placeCharacters))
            if attempt > 500 { stem += String(random.element(placeCharacters)) }
            let name = stem + suffix
            if stem.first != stem.last, !used.contains(name) {
                used.insert(name)
                return name
            }
        }
        preconditionFailure("sample county: ran out of synthetic place names")
    }

    /// A synthetic person name: a common surname and one or two common given-name characters.
    static func person(_ random: inout Xoshiro256) -> String {
        var name = String(random.element(surnames)) + String(random.element(givenCharacters))
        if random.chance(0.6) { name += String(random.element(givenCharacters)) }
        return name
    }

    static let chineseDigits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
}

/// An incident category: its code, Chinese label, how often it is reported and text templates
/// (`{place}` becomes a synthetic place such as "东山村3组").
struct CategorySpec: Sendable {
    var code: String
    var label: String
    var weight: Double
    var templates: [String]
}

struct DepartmentSpec: Sendable {
    var nameZh: String
    var nameEn: String
    var categories: [CategorySpec]
}

/// Thirty county departments (职能部门) with the incident categories each owns. A preset uses the first N.
let departmentTable: [DepartmentSpec] = [
    DepartmentSpec(nameZh: "司法局", nameEn: "Justice", categories: [
        CategorySpec(code: "dispute", label: "矛盾纠纷", weight: 24, templates: [
            "{place}两户村民因宅基地边界发生纠纷，请求调解", "{place}邻里因噪音问题产生矛盾", "{place}租户与房东因押金退还发生争执"]),
    ]),
    DepartmentSpec(nameZh: "综合行政执法局", nameEn: "Urban Management", categories: [
        CategorySpec(code: "illegal_construction", label: "违章搭建", weight: 6, templates: ["{place}有人未经审批搭建彩钢棚"]),
        CategorySpec(code: "street_vending", label: "占道经营", weight: 5, templates: ["{place}路口流动摊贩占道经营"]),
        CategorySpec(code: "illegal_parking", label: "违规停车", weight: 5, templates: ["{place}消防通道被车辆堵塞"]),
    ]),
    DepartmentSpec(nameZh: "生态环境局", nameEn: "Environment", categories: [
        CategorySpec(code: "pollution", label: "环境污染", weight: 5, templates: ["{place}附近小作坊排放异味废气", "{place}河道发现不明排污口"]),
        CategorySpec(code: "noise", label: "噪声扰民", weight: 3, templates: ["{place}工地夜间施工噪声扰民"]),
    ]),
    DepartmentSpec(nameZh: "环境卫生管理处", nameEn: "Sanitation", categories: [
        CategorySpec(code: "garbage", label: "垃圾清运", weight: 9, templates: ["{place}垃圾桶满溢未及时清运", "{place}路边有建筑垃圾随意堆放"]),
    ]),
    DepartmentSpec(nameZh: "应急管理局", nameEn: "Emergency Management", categories: [
        CategorySpec(code: "work_safety", label: "安全生产", weight: 4, templates: ["{place}企业仓库消防器材过期", "{place}加工点违规存放液化气瓶"]),
    ]),
    DepartmentSpec(nameZh: "住房和城乡建设局", nameEn: "Housing and Construction", categories: [
        CategorySpec(code: "housing_safety", label: "房屋安全", weight: 3, templates: ["{place}老旧房屋墙体开裂存在隐患"]),
        CategorySpec(code: "property_management", label: "物业管理", weight: 3, templates: ["{place}小区电梯故障多日未修"]),
    ]),
    DepartmentSpec(nameZh: "交通运输局", nameEn: "Transport", categories: [
        CategorySpec(code: "road_damage", label: "道路破损", weight: 5, templates: ["{place}村道路面塌陷影响通行", "{place}路灯损坏夜间无照明"]),
    ]),
    DepartmentSpec(nameZh: "民政局", nameEn: "Civil Affairs", categories: [
        CategorySpec(code: "elderly_care", label: "养老服务", weight: 3, templates: ["{place}独居老人需要上门探访"]),
        CategorySpec(code: "social_assistance", label: "社会救助", weight: 2, templates: ["{place}困难家庭申请临时救助"]),
    ]),
    DepartmentSpec(nameZh: "水利局", nameEn: "Water Resources", categories: [
        CategorySpec(code: "flood_control", label: "防汛防台", weight: 2, templates: ["{place}山塘水位偏高需巡查", "{place}排水沟堵塞雨后积水"]),
    ]),
    DepartmentSpec(nameZh: "农业农村局", nameEn: "Agriculture and Rural Affairs", categories: [
        CategorySpec(code: "farmland", label: "农田管护", weight: 2, templates: ["{place}农田灌溉渠破损"]),
    ]),
    DepartmentSpec(nameZh: "公安局", nameEn: "Public Security", categories: [
        CategorySpec(code: "public_order", label: "治安隐患", weight: 3, templates: ["{place}深夜有人聚集喧哗"]),
    ]),
    DepartmentSpec(nameZh: "市场监督管理局", nameEn: "Market Supervision", categories: [
        CategorySpec(code: "food_safety", label: "食品安全", weight: 2, templates: ["{place}小餐馆卫生条件差"]),
    ]),
    DepartmentSpec(nameZh: "卫生健康局", nameEn: "Health", categories: [
        CategorySpec(code: "public_health", label: "公共卫生", weight: 1.5, templates: ["{place}积水滋生蚊虫需消杀"]),
    ]),
    DepartmentSpec(nameZh: "人力资源和社会保障局", nameEn: "Human Resources and Social Security", categories: [
        CategorySpec(code: "wage_arrears", label: "欠薪讨薪", weight: 1.5, templates: ["{place}务工人员反映工资被拖欠"]),
    ]),
    DepartmentSpec(nameZh: "自然资源和规划局", nameEn: "Natural Resources and Planning", categories: [
        CategorySpec(code: "land_use", label: "违法用地", weight: 1.5, templates: ["{place}有人占用耕地堆放物料"]),
    ]),
    DepartmentSpec(nameZh: "消防救援大队", nameEn: "Fire and Rescue", categories: [
        CategorySpec(code: "fire_hazard", label: "消防隐患", weight: 2, templates: ["{place}楼道堆放杂物堵塞通道", "{place}电动车在楼道内充电"]),
    ]),
    DepartmentSpec(nameZh: "教育局", nameEn: "Education", categories: [
        CategorySpec(code: "school_safety", label: "校园周边安全", weight: 0.8, templates: ["{place}学校门口上下学时段交通拥堵"]),
    ]),
    DepartmentSpec(nameZh: "文化广电旅游体育局", nameEn: "Culture, Tourism and Sports", categories: [
        CategorySpec(code: "tourism_complaint", label: "旅游投诉", weight: 0.6, templates: ["{place}游客反映民宿收费不规范"]),
    ]),
    DepartmentSpec(nameZh: "林业局", nameEn: "Forestry", categories: [
        CategorySpec(code: "forest_fire", label: "森林防火", weight: 1, templates: ["{place}山林边有人焚烧秸秆"]),
    ]),
    DepartmentSpec(nameZh: "供电公司", nameEn: "Power Supply", categories: [
        CategorySpec(code: "power_outage", label: "停电故障", weight: 1.2, templates: ["{place}多户停电原因不明"]),
    ]),
    DepartmentSpec(nameZh: "水务集团", nameEn: "Water Supply", categories: [
        CategorySpec(code: "water_supply", label: "供水问题", weight: 1.2, templates: ["{place}自来水管爆裂漏水"]),
    ]),
    DepartmentSpec(nameZh: "信访局", nameEn: "Petitions", categories: [
        CategorySpec(code: "petition", label: "信访诉求", weight: 0.8, templates: ["{place}群众反映征地补偿问题"]),
    ]),
    DepartmentSpec(nameZh: "退役军人事务局", nameEn: "Veterans Affairs", categories: [
        CategorySpec(code: "veterans", label: "退役军人服务", weight: 0.3, templates: ["{place}退役军人咨询优抚政策"]),
    ]),
    DepartmentSpec(nameZh: "残疾人联合会", nameEn: "Disabled Persons' Federation", categories: [
        CategorySpec(code: "disability_support", label: "助残服务", weight: 0.3, templates: ["{place}残疾人申请辅具适配"]),
    ]),
    DepartmentSpec(nameZh: "妇女联合会", nameEn: "Women's Federation", categories: [
        CategorySpec(code: "family_conflict", label: "家庭矛盾", weight: 0.8, templates: ["{place}夫妻矛盾需要上门劝解"]),
    ]),
    DepartmentSpec(nameZh: "商务局", nameEn: "Commerce", categories: [
        CategorySpec(code: "market_order", label: "市场秩序", weight: 0.5, templates: ["{place}农贸市场摊位秩序混乱"]),
    ]),
    DepartmentSpec(nameZh: "发展和改革局", nameEn: "Development and Reform", categories: [
        CategorySpec(code: "price_complaint", label: "价格投诉", weight: 0.4, templates: ["{place}商户反映收费价格不透明"]),
    ]),
    DepartmentSpec(nameZh: "经济和信息化局", nameEn: "Economy and Information Technology", categories: [
        CategorySpec(code: "enterprise_service", label: "企业服务", weight: 0.4, templates: ["{place}企业反映用工登记问题"]),
    ]),
    DepartmentSpec(nameZh: "气象局", nameEn: "Meteorology", categories: [
        CategorySpec(code: "weather_hazard", label: "气象灾害", weight: 0.3, templates: ["{place}大风后树木倒伏压住电线"]),
    ]),
    DepartmentSpec(nameZh: "统计局", nameEn: "Statistics", categories: [
        CategorySpec(code: "survey_help", label: "统计调查", weight: 0.2, templates: ["{place}住户咨询入户调查事宜"]),
    ]),
]
