//! Realistic requests for the demo, written for this project in the way
//! citizens phone them in. `{place}` becomes a street in the order's town.

use hotline_domain::OrderType;

pub struct Template {
    /// Taxonomy path, `level1/level2/level3`.
    pub category: &'static str,
    pub order_type: OrderType,
    pub subject: &'static str,
    pub description: &'static str,
    /// What a consultant tells the caller when it can be answered at once.
    pub answer: &'static str,
    /// The unit's public reply once handled.
    pub reply: &'static str,
}

pub const ROADS: &[&str] = &[
    "东纵路",
    "莞太路",
    "鸿福路",
    "体育路",
    "八达路",
    "环城路",
    "东莞大道",
    "松山湖大道",
    "长安中路",
    "虎门大道",
    "莞樟路",
    "常平大道",
    "黄江大道",
    "厚街大道",
];

/// What callers add of their own, appended to a template's description.
pub const DETAILS: &[&str] = &[
    "已经反映过两次，一直没有解决。",
    "晚上尤其严重，影响老人小孩休息。",
    "希望有关部门尽快派人到现场看看。",
    "附近居民都很有意见。",
    "前几天下雨之后情况更糟了。",
    "来电人情绪比较激动，要求尽快回复。",
    "之前打过社区电话，说不归他们管。",
    "来电人表示可以提供现场照片。",
    "周末人多的时候更明显。",
    "请处理后电话告知结果。",
];

use OrderType::*;

pub const TEMPLATES: &[Template] = &[
    Template {
        category: "劳动和社会保障/城镇职工社会保险/职工养老保险",
        order_type: Consultation,
        subject: "咨询养老保险转移接续办理流程",
        description: "市民来电咨询：本人从外省来莞工作，之前在老家缴纳了八年养老保险，想转到东莞，需要带什么材料，在哪里办理。",
        answer: "已告知市民可通过广东人社APP或社保经办窗口申请养老保险关系转移，需携带身份证、原参保地缴费凭证，转入地发起申请后约45个工作日办结。",
        reply: "经核实，已指导市民通过线上渠道提交转移申请。",
    },
    Template {
        category: "劳动和社会保障/工资福利/工资发放",
        order_type: Complaint,
        subject: "工厂拖欠工资两个月未发",
        description: "市民来电反映：其在{place}附近一家电子厂工作，公司已拖欠两个月工资共约一万二千元，多次向主管讨要无果，请求相关部门督促企业支付。",
        answer: "",
        reply: "经劳动保障监察大队调查，该企业已于本周补发所拖欠工资，并承诺今后按时发放。",
    },
    Template {
        category: "劳动和社会保障/劳动关系/劳动合同纠纷",
        order_type: Help,
        subject: "公司未签劳动合同，求助如何维权",
        description: "市民来电称入职五个月公司一直未签订书面劳动合同，现被口头辞退，想了解能否要求二倍工资赔偿以及如何申请劳动仲裁。",
        answer: "已告知市民可向劳动人事争议仲裁院申请仲裁，需准备工资流水、考勤记录等证据，自用工之日起超过一个月未签合同可主张二倍工资。",
        reply: "已联系市民说明仲裁申请流程，市民表示理解。",
    },
    Template {
        category: "劳动和社会保障/工资福利/住房公积金",
        order_type: Consultation,
        subject: "咨询公积金提取用于租房",
        description: "市民来电咨询在东莞租房能否提取住房公积金，每年可以提取多少，需要哪些材料。",
        answer: "已告知市民无房职工租房可按规定提取，可通过公积金中心网上服务大厅办理，提取额度以当年政策为准。",
        reply: "已答复市民租房提取条件和办理渠道。",
    },
    Template {
        category: "城乡建设/城市建设和市政管理/城市公共设施",
        order_type: Help,
        subject: "路灯损坏多日不亮",
        description: "市民反映{place}一段约三百米的路灯已经坏了一周多，晚上漆黑一片，行人和电动车经过很危险，请尽快维修。",
        answer: "",
        reply: "经现场核查，系线路老化导致，已于次日更换线缆，路灯恢复照明。",
    },
    Template {
        category: "城乡建设/城市建设和市政管理/环境卫生",
        order_type: Complaint,
        subject: "垃圾堆放多日无人清运",
        description: "市民反映{place}路边垃圾收集点已经三天没有清运，天气炎热气味很大，蚊蝇滋生，影响周边居民生活。",
        answer: "",
        reply: "已安排环卫作业单位当日清运，并加密该点位清运频次为每日两次。",
    },
    Template {
        category: "城乡建设/城市建设和市政管理/自来水供应",
        order_type: Help,
        subject: "小区突然停水没有通知",
        description: "市民来电反映所住{place}小区从今早开始停水，物业称不清楚原因，家中有老人小孩生活不便，请求尽快恢复供水。",
        answer: "",
        reply: "经供水企业核实，系片区管道抢修，已于当晚恢复供水，并提醒今后提前公告。",
    },
    Template {
        category: "城乡建设/城市建设和市政管理/燃气供应",
        order_type: Help,
        subject: "闻到燃气味，请求上门检查",
        description: "市民来电称在{place}住宅楼道内闻到明显燃气味道，担心有泄漏，请求燃气公司尽快上门检查。",
        answer: "",
        reply: "燃气公司抢修人员到场检测，发现楼道立管接口轻微渗漏，已现场处置并复检合格。",
    },
    Template {
        category: "城乡建设/城乡规划/违章建筑",
        order_type: Report,
        subject: "举报楼顶违章搭建",
        description: "市民举报{place}某住宅楼顶有住户正在搭建铁皮房，已施工多日，存在安全隐患，请求依法查处。",
        answer: "",
        reply: "经执法人员现场核查，违建属实，已下达限期拆除通知书，当事人已自行拆除。",
    },
    Template {
        category: "城乡建设/住房保障与房地产/物业服务",
        order_type: Complaint,
        subject: "物业公司电梯长期故障不维修",
        description: "市民投诉{place}小区二号楼电梯故障已近一个月，物业一直推说配件未到，楼内有行动不便老人，出行非常困难。",
        answer: "",
        reply: "经督促，物业公司已完成电梯维修并通过特种设备检验，恢复运行。",
    },
    Template {
        category: "城乡建设/建筑市场/拖欠工程款",
        order_type: Help,
        subject: "工地拖欠农民工工资",
        description: "市民来电称其与二十多名工友在{place}某建筑工地务工，总包单位拖欠工资三个月，请求相关部门协调解决。",
        answer: "",
        reply: "经协调，总包单位已通过农民工工资专用账户支付拖欠工资。",
    },
    Template {
        category: "环境保护/环境污染/噪音污染",
        order_type: Complaint,
        subject: "工地夜间施工噪音扰民",
        description: "市民投诉{place}附近工地每天晚上十一点后仍在施工，打桩声音很大，严重影响周边居民休息。",
        answer: "",
        reply: "经执法检查，该工地未办理夜间施工许可，已责令停止夜间施工并立案处罚。",
    },
    Template {
        category: "环境保护/环境污染/大气污染",
        order_type: Report,
        subject: "举报工厂夜间偷排废气",
        description: "市民举报{place}一家五金加工厂晚上排放刺鼻气体，附近居民闻到后头晕，怀疑未开启废气处理设施。",
        answer: "",
        reply: "经现场监测，该厂废气处理设施未正常运行，已责令整改并依法处罚。",
    },
    Template {
        category: "环境保护/环境污染/水污染",
        order_type: Report,
        subject: "河涌出现大量死鱼且水体发黑",
        description: "市民反映{place}旁边河涌今天早上出现大量死鱼，河水发黑发臭，怀疑上游有工厂排污。",
        answer: "",
        reply: "经排查，上游一家洗水厂违法排放废水，已查封排污设备并移送处理，河涌已开展清淤。",
    },
    Template {
        category: "交通运输/出租车管理/网约车问题",
        order_type: Complaint,
        subject: "网约车司机绕路多收费",
        description: "市民投诉昨晚乘坐网约车从东莞火车站到{place}，司机故意绕路，车费比平时多出一倍，向平台投诉未得到处理。",
        answer: "",
        reply: "经核查行程轨迹，平台已退还多收费用并对驾驶员作出处理。",
    },
    Template {
        category: "交通运输/客货运输/旅客运输",
        order_type: Suggestion,
        subject: "建议增加公交线路班次",
        description: "市民建议：{place}一带工业区早晚高峰上下班人多，现有公交班次间隔二十多分钟，建议高峰期加密班次。",
        answer: "",
        reply: "已将建议转公交运营企业研究，高峰期发车间隔将调整为十分钟。",
    },
    Template {
        category: "交通运输/邮政管理/快递市场管理",
        order_type: Complaint,
        subject: "快递丢失快递公司拒绝赔偿",
        description: "市民投诉寄往外省的快递显示已签收但收件人未收到，快递网点拒绝赔偿，请求邮政管理部门处理。",
        answer: "",
        reply: "经调解，快递企业已按保价规定予以赔偿。",
    },
    Template {
        category: "卫生计生/食品药品监管/食品安全",
        order_type: Report,
        subject: "举报餐馆使用过期食材",
        description: "市民举报{place}一家快餐店后厨使用过期冻肉，卫生条件很差，昨天在该店吃饭后出现腹泻。",
        answer: "",
        reply: "市场监管部门现场检查发现过期食品原料，已没收并立案调查，责令停业整改。",
    },
    Template {
        category: "卫生计生/医政监管/医疗收费",
        order_type: Complaint,
        subject: "医院重复收费",
        description: "市民投诉在某医院住院期间，清单显示同一检查项目被收取两次费用，向医院反映后未获解释。",
        answer: "",
        reply: "经卫生健康部门核查，医院确有重复计费，已退还多收费用。",
    },
    Template {
        category: "卫生计生/公共卫生/疾病预防控制",
        order_type: Consultation,
        subject: "咨询儿童疫苗接种时间",
        description: "市民来电咨询孩子满八个月应该接种哪些疫苗，在哪个接种点可以预约。",
        answer: "已告知市民按国家免疫规划程序接种麻腮风疫苗，可通过粤苗小程序预约就近社区卫生服务中心。",
        reply: "已答复接种程序和预约方式。",
    },
    Template {
        category: "教育文体/教育体制/异地升学",
        order_type: Consultation,
        subject: "咨询随迁子女积分入学",
        description: "市民来电咨询孩子明年上小学一年级，父母在东莞工作五年有社保，如何申请积分入学，什么时候开始报名。",
        answer: "已告知市民积分入学一般每年春季开放申请，需在东莞入学服务平台提交居住、社保等材料，具体时间以教育局公告为准。",
        reply: "已答复积分入学申请条件和时间安排。",
    },
    Template {
        category: "教育文体/教育收费/乱收费",
        order_type: Complaint,
        subject: "学校强制收取资料费",
        description: "市民投诉孩子所在学校要求每个学生缴纳三百元资料费，未开具票据，家长认为属于乱收费。",
        answer: "",
        reply: "经教育局核查，学校已停止收取并退还相关费用，对责任人进行了批评教育。",
    },
    Template {
        category: "商贸旅游/市场监管/物价监督",
        order_type: Complaint,
        subject: "超市商品标价与结算价不一致",
        description: "市民投诉在{place}一家超市购物，货架标价九块九的商品结账时按十五块八收费，要求处理。",
        answer: "",
        reply: "经市场监管部门核查，超市存在价签未及时更换问题，已责令整改并退还差价。",
    },
    Template {
        category: "商贸旅游/市场监管/商品质量",
        order_type: Complaint,
        subject: "购买的电动车电池质量问题商家拒绝退换",
        description: "市民投诉一个月前在{place}车行购买的电动车电池无法充电，商家拒绝按三包规定更换。",
        answer: "",
        reply: "经调解，商家已为消费者更换新电池。",
    },
    Template {
        category: "民政/社会救助/城镇低保",
        order_type: Help,
        subject: "求助申请低保",
        description: "市民来电称家中丈夫重病无劳动能力，两个孩子读书，家庭收入很低，想了解如何申请最低生活保障。",
        answer: "",
        reply: "社区工作人员已上门了解情况，协助其提交低保申请材料，正在审核中。",
    },
    Template {
        category: "民政/社会服务/婚姻登记",
        order_type: Consultation,
        subject: "咨询婚姻登记预约",
        description: "市民来电咨询非东莞户籍能否在东莞办理结婚登记，需要预约吗。",
        answer: "已告知市民目前内地居民婚姻登记已实行全国通办，可通过粤省事预约东莞市婚姻登记处办理，需携带双方身份证、户口簿。",
        reply: "已答复婚姻登记办理方式。",
    },
    Template {
        category: "政法/户籍证件/身份证管理",
        order_type: Consultation,
        subject: "咨询异地补办身份证",
        description: "市民来电咨询身份证丢失了，户籍在外省，能否在东莞补办，需要多长时间。",
        answer: "已告知市民可在东莞任一公安户政窗口申请异地补领，携带户口簿或其他身份证明，一般二十个工作日内可领取。",
        reply: "已答复异地补办身份证流程。",
    },
    Template {
        category: "政法/社会治安/治安案件",
        order_type: Report,
        subject: "举报出租屋聚众赌博",
        description: "市民举报{place}某出租屋每天晚上有多人聚集赌博，进出人员复杂，影响周边治安。",
        answer: "",
        reply: "公安机关已依法查处，现场抓获违法人员多名。",
    },
    Template {
        category: "政法/法律服务/法律援助",
        order_type: Help,
        subject: "求助申请法律援助",
        description: "市民来电称在工厂工作时受伤，厂方不承认工伤，本人经济困难请不起律师，想申请法律援助。",
        answer: "",
        reply: "法律援助中心已受理申请，指派律师为其提供工伤维权法律援助。",
    },
    Template {
        category: "经济管理/金融财税/税收征管",
        order_type: Consultation,
        subject: "咨询个人所得税汇算退税",
        description: "市民来电咨询个人所得税年度汇算什么时候办理，退税多久到账。",
        answer: "已告知市民可通过个人所得税APP办理年度汇算，一般每年3月1日至6月30日，退税审核通过后约一至两周到账；复杂问题可转12366。",
        reply: "已答复个税汇算办理方式。",
    },
    Template {
        category: "农村农业/村务管理/其他",
        order_type: Complaint,
        subject: "村集体分红不公开",
        description: "村民反映所在村去年集体经济分红方案未经村民代表大会讨论，账目也没有公开，请求镇里核查。",
        answer: "",
        reply: "经镇农村集体资产管理部门核查，已督促村委会召开村民代表大会并公开分红明细。",
    },
    Template {
        category: "经济管理/安全生产/安全隐患",
        order_type: Report,
        subject: "举报工厂消防通道堵塞",
        description: "市民举报{place}一家制衣厂消防通道堆满货物，车间内有工人住宿，存在严重火灾隐患。",
        answer: "",
        reply: "应急管理部门联合消防救援机构检查，责令立即清理通道并停止违规住宿，已复查整改到位。",
    },
    Template {
        category: "城乡建设/城市建设和市政管理/园林绿化",
        order_type: Praise,
        subject: "表扬环卫工人拾金不昧",
        description: "市民来电表扬{place}环卫工人捡到其丢失的钱包后主动交还，钱包内现金证件一样不少，希望给予表扬。",
        answer: "已记录市民的表扬并转告相关单位。",
        reply: "已将表扬转达环卫作业单位并予以通报表扬。",
    },
];

/// This morning's downpour: one street flooded, reported by eight callers
/// in their own words (`{road}` the street, `{place}` town and street)
/// under two categories, so the demo's hot topics, surge warning and
/// duplicates have something of today to show.
pub const DOWNPOUR: &[(&str, &str, &str)] = &[
    ("城乡建设/城市建设和市政管理/城市公共设施", "{road}暴雨水浸街", "{place}暴雨后整段路水浸街，积水到膝盖，车辆无法通行，下水道堵塞。"),
    ("城乡建设/城市建设和市政管理/城市公共设施", "{road}积水严重车辆熄火", "下暴雨{place}水浸很深，有几台车熄火了，下水道排不出去。"),
    ("城乡建设/城市建设和市政管理/环境卫生", "暴雨后{road}商铺进水", "暴雨过后{place}一带水浸，沿街商铺进水，下水道堵塞没人疏通。"),
    ("城乡建设/城市建设和市政管理/城市公共设施", "{road}水浸老人出不了门", "{place}暴雨水浸，小区门口下水道冒水，老人小孩出不了门。"),
    ("城乡建设/城市建设和市政管理/城市公共设施", "{road}下水道堵塞", "{place}下水道堵住了，暴雨一下就水浸，请尽快派人疏通。"),
    ("城乡建设/城市建设和市政管理/环境卫生", "{road}路面积水发臭", "{place}暴雨后的积水一直没退，水浸的地方开始发臭。"),
    ("城乡建设/城市建设和市政管理/城市公共设施", "{road}水浸无法上班", "早上{place}水浸到小腿，公交车都绕行了，下水道冒水。"),
    (
        "城乡建设/城市建设和市政管理/环境卫生",
        "{road}暴雨后垃圾冲上路面",
        "{place}暴雨水浸，垃圾桶被冲倒，垃圾漂得满路都是，下水道口也堵了。",
    ),
];

/// The last hour's water cut: six callers from three towns (`{town}` each
/// caller's), in their own words. No town has enough reports for its own
/// surge watch; the hot topics see one matter across towns and warn the
/// centre (跨镇街).
pub const WATER_CUT: &[(&str, &str)] = &[
    ("家里突然停水", "{town}从早上开始停水，自来水一滴都没有，也没说什么时候恢复供水。"),
    ("小区停水了", "我们{town}这边小区自来水停水一个小时了，做饭洗澡都没水，什么时候恢复供水。"),
    ("停水没有通知", "{town}突然停水，自来水公司电话打不通，也没有停水和恢复供水的通知。"),
    ("自来水停了", "{town}停水一上午了，家里老人小孩没水用，自来水什么时候恢复供水。"),
    ("整条街停水", "{town}整条街都停水了，自来水一点都没有，商铺没法营业，请尽快恢复供水。"),
    ("停水问题", "{town}停水到现在还没恢复供水，自来水公司也没有说明原因。"),
];
