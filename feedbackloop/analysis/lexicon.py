"""Hand-written Chinese lexicons: aspects, polarity words, problem-type and urgency cues, emotions.

These are data, not logic; the components that use them live in aspects.py, rules.py and emotions.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AspectDef:
    """One aspect: its name, the words that mention it, and how a theme about it reads.

    `problem_type` ties the aspect to one of the six problem types so that a complaint about it
    counts towards that type. `negative_label` / `positive_label` are the readable theme names.
    """

    name: str
    terms: tuple[str, ...]
    domain: str = "general"
    problem_type: str = "其他"
    negative_label: str = ""
    positive_label: str = ""
    # Words that only make sense as this aspect's verdict ("吵" is about noise), so a clause with
    # one of them mentions the aspect even without naming it.
    verdict_terms: tuple[str, ...] = field(default_factory=tuple)
    # A generic aspect (房间) is reported only when no specific one shares its clause.
    generic: bool = False

    def label(self, polarity: str) -> str:
        """Readable theme name for a polarity (送餐速度慢 / 送餐速度快)."""
        if polarity == "negative":
            return self.negative_label or f"{self.name}差"
        if polarity == "positive":
            return self.positive_label or f"{self.name}好"
        return self.name


# The labelling guide's aspect names for built-in aspects that the lexicon keeps apart (a generic
# 房间 is reported only when no specific aspect shares its clause; food temperature on arrival is 送餐速度).
GUIDE_ASPECT_NAMES = {"房间": "设施", "温度": "送餐速度", "屏幕": "质量", "新鲜度": "质量"}

PROBLEM_TYPES = ("产品功能", "服务质量", "价格", "物流", "界面/交互", "其他")
URGENCIES = ("紧急", "一般", "建议")

_A = AspectDef
BUILTIN_ASPECTS: tuple[AspectDef, ...] = (
    # hotel
    _A("卫生", ("卫生", "干净", "整洁", "清洁", "打扫", "脏", "不干净", "霉味", "异味", "污渍", "蟑螂", "老鼠"),
       "hotel", "服务质量", "房间卫生差", "房间干净"),
    _A("服务", ("服务", "前台", "服务员", "服务态度", "员工", "接待", "热情", "礼貌", "入住", "退房", "办理", "柜员",
              "工作人员", "营业员", "乘务员", "空姐", "空乘", "地勤", "老师", "班主任", "医生", "护士", "销售",
              "导购", "店员", "保安", "物业", "师傅", "教练", "业务员", "理赔员", "大堂经理", "客户经理",
              "药师", "助教", "收银", "收银员", "售票员", "司机", "护工", "保洁", "排队", "挂号"),
       "hotel", "服务质量", "服务态度差", "服务热情"),
    _A("位置", ("位置", "地段", "地理位置", "交通", "地铁", "市中心", "周边", "离机场", "离火车站", "偏僻"),
       "hotel", "其他", "位置不便", "位置便利"),
    _A("早餐", ("早餐", "早饭", "自助餐"), "hotel", "产品功能", "早餐差", "早餐丰富"),
    _A("隔音", ("隔音", "噪音", "吵", "很吵", "太吵", "安静", "吵闹"), "hotel", "产品功能", "房间隔音差",
       "房间安静"),
    _A("网络", ("宽带", "网速", "wifi", "无线网", "信号", "网络", "上网", "断网", "掉线"), "general", "产品功能",
       "网络差", "网络好"),
    _A("环境", ("环境", "风景", "景色", "绿化", "空气", "周围环境", "周边环境", "景观"), "general", "其他",
       "环境差", "环境好"),
    _A("内容", ("内容", "情节", "剧情", "故事", "文笔", "作者", "书中", "翻译", "课程内容", "讲得"), "general",
       "产品功能", "内容差", "内容好"),
    _A("准点", ("准点", "晚点", "延误", "误点", "正点", "准时起飞", "准时到达", "航班取消"), "travel", "服务质量",
       "不准点", "准点"),
    _A("隐私", ("隐私", "个人信息", "泄露", "骚扰电话", "推销电话", "通讯录"), "general", "其他", "隐私泄露", "保护隐私"),
    _A("设施", ("设施", "设备", "空调", "电视", "热水", "电梯", "装修", "床",
                "卫生间", "浴室", "洗手间", "马桶", "淋浴", "家具", "陈旧", "老旧", "设备陈旧",
                "扶梯", "停车场", "座椅", "试衣间", "楼道", "电线", "窗户", "插座"),
       "hotel", "产品功能", "设施陈旧", "设施完善"),
    _A("房间", ("房间", "客房", "房型", "大床", "标间", "标准间"), "hotel", "产品功能", "房间条件差", "房间舒适",
       generic=True),
    # food delivery
    _A("味道", ("味道", "口味", "好吃", "难吃", "口感", "咸", "太咸", "太淡", "辣", "香", "油腻", "美味", "入味"),
       "delivery", "产品功能", "味道差", "味道好"),
    _A("送餐速度", ("送餐", "送达", "配送", "送到", "送来", "准时", "超时", "等了", "小时才", "分钟才", "送餐速度",
                  "配送速度",
                  "太慢", "很慢", "骑手", "送餐员", "外卖小哥", "催单"),
       "delivery", "物流", "送餐速度慢", "送餐速度快"),
    _A("分量", ("分量", "份量", "量少", "量很少", "量太少", "量足", "量大", "吃不饱", "太少了", "菜量"),
       "delivery", "产品功能", "分量少", "分量足"),
    _A("包装", ("包装", "餐盒", "撒了", "洒了", "漏了", "打包", "盒子", "袋子"), "delivery", "物流", "包装破损",
       "包装完好"),
    _A("温度", ("凉了", "冷了", "凉透", "不热", "热乎"), "delivery", "物流", "送到已凉", "送到热乎"),
    # e-commerce
    _A("质量", ("质量", "做工", "品质", "材质", "面料", "料子", "耐用", "坏了", "破了", "假货", "正品", "掉色",
                "起球", "瑕疵", "用料"),
       "ecommerce", "产品功能", "质量差", "质量好"),
    _A("物流", ("物流", "快递", "发货", "送货", "到货", "收到货", "签收", "快递员", "快递小哥"),
       "ecommerce", "物流", "物流慢", "物流快"),
    _A("价格", ("价格", "价钱", "价位", "性价比", "划算", "实惠", "便宜", "太贵", "贵了", "很贵", "优惠", "降价",
                "价格保护", "房价", "收费", "不值", "运费", "配送费", "手续费", "服务费", "会员费", "工时费", "水费",
                "电费", "话费", "学费", "月租", "票价", "物业费", "停车费"),
       "general", "价格", "价格偏高", "价格实惠"),
    _A("客服", ("客服", "售后", "退货", "退款", "换货", "态度", "回复", "不理", "商家"),
       "ecommerce", "服务质量", "客服响应差", "客服热情"),
    _A("外观", ("外观", "颜色", "样子", "款式", "外形", "好看", "漂亮", "色差"), "ecommerce", "产品功能",
       "外观不符", "外观好看"),
    _A("尺码", ("尺码", "大小", "偏大", "偏小", "码数", "合身"), "ecommerce", "产品功能", "尺码不准", "尺码合适"),
    _A("电池", ("电池", "续航", "待机", "充电", "耗电"), "ecommerce", "产品功能", "续航差", "续航好"),
    _A("屏幕", ("屏幕", "分辨率", "显示", "亮点", "屏"), "ecommerce", "产品功能", "屏幕问题", "屏幕清晰"),
    _A("性能", ("性能", "运行", "卡顿", "很卡", "流畅", "速度快", "反应慢", "死机", "发热", "散热", "发烫", "闪退",
              "油耗", "加速"),
       "ecommerce", "产品功能", "运行卡顿", "运行流畅"),
    _A("界面", ("系统", "界面", "操作", "软件", "app", "键盘", "按键", "触摸", "触屏", "菜单", "页面", "按钮",
                "小程序", "手机银行", "入口", "字体"),
       "ecommerce", "界面/交互", "操作不便", "界面好用"),
    _A("新鲜度", ("新鲜", "不新鲜", "烂了", "坏果", "发霉", "变质", "过期"), "ecommerce", "产品功能", "不新鲜",
       "新鲜"),
)

# Polarity words used to judge a clause when the statistical model is unsure and to phrase
# explanations. Weights are in the same units as the model's log-odds (roughly).
POSITIVE_WORDS = frozenset(
    """好 很好 不错 满意 干净 整洁 舒适 舒服 方便 热情 周到 快 很快 及时 准时 划算 实惠 便宜 值得 推荐 喜欢 好吃 美味
    新鲜 精致 漂亮 好看 安静 丰富 可口 流畅 清晰 耐用 给力 赞 棒 完美 超值 正品 惊喜 贴心 礼貌 专业 合理 宽敞 够味 足 不远 很近 近""".split()
)
NEGATIVE_WORDS = frozenset(
    """差 很差 太差 不好 脏 吵 慢 很慢 太慢 贵 太贵 难吃 失望 垃圾 破 旧 陈旧 简陋 糟糕 恶心 坑 骗 假 假货 冷淡 敷衍
    凉 凉了 少 咸 淡 油腻 难用 卡 卡顿 死机 发热 发烫 坏 坏了 烂 漏 异味 霉味 不值 麻烦 差劲 后悔 无语 一般 不行 粗糙
    偏贵 偏小 偏大 小 远 偏远 窄 挤 拥挤 潮湿 不符 色差 掉色 起球 破损 超时 难闻 生气 不满 投诉 退货 退款""".split()
)
NEGATORS = frozenset("不 没 没有 别 无 未 不是 不太 不够 不会 并不 毫无 没什么 不怎么 不算 从未 并非".split())
INTENSIFIERS = frozenset("很 非常 太 特别 超级 超 极 极其 十分 相当 真 真是 巨 贼 实在 简直 完全 最".split())

# Problem-type cues: word → weight. Cues inside clauses the model reads as negative count double,
# because a feedback item's type is the type of the problem it raises.
PROBLEM_CUES: dict[str, dict[str, float]] = {
    "产品功能": {w: 1.0 for w in """质量 做工 功能 不能用 坏了 坏 故障 失灵 电池 续航 屏幕 效果 性能 死机 发热 发烫
        味道 口味 口感 难吃 好吃 新鲜 发霉 变质 烂 假货 正品 材质 面料 料子 掉色 起球 尺码 偏大 偏小 设施 设备 空调
        房间 隔音 噪音 吵 早餐 热水 床 装修 陈旧 分量 份量 量少 生的 没熟 虫子 异物 头发 信号 声音 音质 拍照 像素 散热
        漏电 卡顿 很卡 香味 头皮屑 油 痒 不顺 干燥 个头 甜 酸 涩 破 洞 瑕疵 过敏 电视 宽带 网速 wifi
        拉肚子 吃坏 呕吐 中毒 苍蝇 钢丝 爆炸 好吃 难吃 正品 山寨 做工 质量差
        东西 商品 产品 宝贝 货 裤子 衣服 苹果 水果 手机 平板 电脑 机子 本本 笔记本 书 洗发水 饭 菜""".split()},
    "服务质量": {w: 1.0 for w in """服务 态度 服务态度 客服 售后 前台 服务员 不理 不回 敷衍 冷淡 热情 礼貌 接待 办理
        入住 退房 发错 送错 少给 漏送 不承认 推脱 维修 保修 换货 退货 退款 打扫 卫生 不干净 脏 商家 店家 卖家
        经理 保安 响应 等了很久 蟑螂 老鼠""".split()},
    "价格": {w: 1.0 for w in """价格 价钱 价位 贵 太贵 偏贵 不值 性价比 划算 实惠 便宜 降价 涨价 优惠 活动 赠品
        价格保护 价保 收费 费用 运费 配送费 押金 多收 退差价 优惠券 券 房价 加价 坐地起价""".split()},
    "物流": {w: 1.0 for w in """物流 快递 配送 送货 送餐 发货 到货 送达 送到 签收 运输 快递员 送餐员 骑手 外卖小哥
        慢 太慢 超时 延迟 迟到 小时才 分钟才 准时 包装 破损 压坏 漏了 撒了 洒了 凉了 丢件 没收到 未收到""".split()},
    "界面/交互": {w: 1.0 for w in """界面 操作 菜单 按键 键盘 触摸 触屏 app 软件 系统 页面 设置 下单 改不了 闪退
        登录 注册 搜索 卸载 更新 版本 驱动 不兼容 图标 字体 按钮 导航 提示 流程 繁琐 不方便 应用市场 弹窗""".split()},
}
# Generic sentiment words are weak problem-type evidence; strongly typed words outweigh them.
for _cues, _strong in (
    (PROBLEM_CUES["物流"], ("物流", "快递", "配送", "送餐", "发货", "到货", "送货", "快递员", "送餐员", "骑手")),
    (PROBLEM_CUES["服务质量"], ("服务态度", "客服", "售后", "前台", "服务员", "态度")),
    (PROBLEM_CUES["价格"], ("价格", "价钱", "性价比", "太贵", "价格保护", "赠品", "优惠")),
    (PROBLEM_CUES["界面/交互"], ("界面", "操作", "菜单", "键盘", "app", "系统", "触屏", "页面")),
    (PROBLEM_CUES["产品功能"], ("质量", "功能", "味道", "口味", "电池", "屏幕", "效果")),
):
    for _w in _strong:
        _cues[_w] = 2.0

# Urgency overrides: (category, risk flag, regular expression). Patterns avoid the common
# figurative uses found in real reviews (差到爆炸, 内心很受伤, 挨着火车站, 霉味 in a room).
# A lookbehind stands after its word (受伤(?<![很…]受伤), not (?<![很…])受伤): the same matches, but
# the regex engine can then scan for the word's first character, which halves the cost of a search.
URGENT_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("食品安全", "health", r"食品安全|食物中毒|中毒|拉肚子|腹泻|上吐下泻|吃坏|吃出.{0,4}(病|问题)|呕吐|吐了一晚|肚子疼|胃疼"),
    ("食品安全", "health", r"(吃出|吃到|发现|里有|里面有|有一?[个只根条]).{0,6}(虫|苍蝇|蟑螂|头发|异物|钢丝|玻璃|铁丝|塑料|指甲|毛发|铁钉|钉子)"),
    ("食品安全", "health", r"(虫子|苍蝇|蟑螂|异物|钢丝|玻璃渣)(?!.{0,2}(一样|似的))"),
    ("食品安全", "health", r"变质|发霉(?!的?(味|气))|长霉|起霉|霉变|过期食品|(肉|鸡|鸭|鱼|虾)[^。！？!?]{0,8}(生的|没熟|没煮熟|不熟)|没煮熟|半生不熟"),
    ("健康", "health", r"过敏|住院|进医院|去医院|挂水|看医生|急诊|细菌|感染"),
    ("卫生安全", "health", r"老鼠|臭虫|跳蚤|小动物出没|有小动物"),
    ("人身安全", "safety", r"受伤(?<![很真好心个有没]受伤)|烫伤|烧伤|割伤|划伤手|摔伤|漏电|触电|起火|着火(?!车|锅)|冒烟|自燃|短路|"
     r"爆炸(?<![到得]爆炸)|差点.{0,6}(爆炸|出事)|容易出事|安全隐患|关在电梯|困在电梯|电梯.{0,4}(故障|被困)"),
    ("法律", "legal", r"起诉|律师|法院|诉讼|报警|欺诈|消协|消费者协会|工商|12315|315(?<!\d315)(?!\d)|举报|维权|主管部门|卫生部门|"
     r"市场监管|税务|假发票|赔偿.{0,4}法"),
    ("舆论", "pr", r"曝光|媒体|记者|上新闻|发微博(?<!转发微博)|发到网上|电视台|"
     r"(发|传|挂|写)到?(抖音|快手|小红书|微博|知乎|朋友圈|业主群|大众点评|b站|网上)|上热搜"),
    ("假货", "legal", r"假货|不是正品|非正品|高仿|山寨货|翻新机|二手翻新|返修机|假冒|水货"),
    ("人身安全", "safety", r"(差点|容易|会)(被)?(卡住喉咙|噎|呛|勒|夹|割|砸|烫|电到|摔下来)|冒火花|烧焦|发烫(?<!不发烫).{0,4}(焦|烟)|"
     r"被电了一下|麻手"),
    ("歧视辱骂", "pr", r"骂我|辱骂|侮辱我|羞辱|歧视|动手打|推搡|扇了|当众.{0,6}(搜|骂|羞)"),
    ("欺诈盗窃", "legal", r"盗刷|被盗|被偷|偷走|失窃|泄露了?我的|诈骗|骗保|跑路|私下转账"),
)
# Suggestions addressed to the business. "建议大家不要买" is a warning to other buyers, not a
# suggestion, so bare 建议 only counts when it is not followed by a buying verdict.
SUGGESTION_PATTERNS: tuple[str, ...] = (
    r"希望.{0,8}(改进|改善|提高|提升|增加|加强|优化|注意|能有|能够|可以|多|少|早日|尽快|推出|支持|提供|完善|加快|再)",
    r"如果.{1,20}就(更)?好了|要是.{1,20}就(更)?好了|要是能|如果能|如果可以",
    r"建议(?!.{0,6}(不要|别|勿|谨慎|慎|大家|各位|朋友|亲们|买|购买|入住|住|选择|不))",
    r"(应该|应当|最好|能不能|可不可以|能否).{0,12}(改|加|增加|提供|完善|优化|快点|快一点|注意|改成|更新)",
    r"需要(改进|改善|提高|加强|维护)",
)
SUGGESTION_FALSE = r"希望(京东|商家|店家|你们|店铺)?(越来越好|生意兴隆|越卖越好|继续保持)|希望.{0,4}(能用|用得|用的)(久|住)|希望是正品|希望.{0,6}给个说法"

EMOTION_WORDS: dict[str, tuple[str, ...]] = {
    "满意": ("满意", "不错", "很好", "喜欢", "推荐", "好评", "赞", "棒", "舒服", "舒适", "值得", "放心", "开心"),
    "失望": ("失望", "后悔", "不会再", "再也不", "一般", "不值", "可惜", "遗憾", "郁闷", "不如", "没想到这么差",
             "上当", "不推荐", "别买"),
    "愤怒": ("垃圾", "气死", "骗子", "无耻", "恶心", "坑", "投诉", "差评", "滚", "忽悠", "欺骗", "太差", "极差",
             "愤怒", "什么玩意", "!!!", "！！！", "😡", "🤬", "妈的", "tmd", "尼玛"),
    "惊喜": ("惊喜", "没想到", "超出预期", "意外", "想不到", "超值", "物超所值", "惊艳", "比想象", "超乎"),
}

# Module / feature mentions for problem routing; products are brand or model names.
MODULE_TERMS = (
    "登录", "注册", "支付", "付款", "下单", "订单", "购物车", "搜索", "优惠券", "会员", "积分", "退款", "退货",
    "评价", "地址", "消息", "通知", "客服", "配送", "页面", "界面", "app", "小程序", "系统", "键盘", "屏幕",
    "电池", "摄像头", "充电器", "耳机", "驱动", "蓝牙", "wifi", "前台", "早餐", "餐厅", "停车场", "电梯", "浴室",
)
PRODUCT_TERMS = (
    "华为", "苹果", "iphone", "ipad", "小米", "三星", "联想", "戴尔", "dell", "惠普", "hp", "华硕", "宏碁", "acer",
    "thinkpad", "索尼", "sony", "诺基亚", "荣耀", "oppo", "vivo", "魅族", "美的", "海尔", "格力", "蒙牛", "伊利",
    "海飞丝", "清扬", "沙宣", "潘婷", "飘柔", "资生堂", "施华蔻", "京东", "淘宝", "天猫", "美团", "饿了么", "百度外卖",
    "携程", "艺龙", "如家", "汉庭", "必胜客", "肯德基", "麦当劳", "星巴克", "kindle",
)

STOPWORDS = frozenset(
    """的 了 是 我 也 都 就 还 很 在 有 和 与 及 这 那 你 他 她 它 们 我们 你们 他们 一个 没 不 吧 啊 呢 吗 哦 呀 嘛 哈
    就是 但是 但 不过 而且 还是 因为 所以 如果 虽然 可以 可能 已经 这个 那个 这样 那样 什么 怎么 一下 一点 一些 有点
    比较 非常 特别 真的 感觉 觉得 东西 时候 还有 没有 自己 其他 然后 而且 只是 真是 太 最 又 再 才 会 要 能 给 让 被
    把 对 说 去 来 到 个 次 下 上 中 后 前 里 多 少 好 大 小 用 买 吃 住 看 做 一 两 三 非常 特别 超级 挺 蛮 十分 相当
    酒店 宾馆 京东 东西 商品 宝贝 评价 好评 差评 一般 以后 之后 小时 两个 今天 昨天 一次 第一次 这次 上次 下次 一直
    知道 出来 起来 时间 地方 朋友 大家 本来 居然 竟然 而且 现在 以前 之前 一样 这家 那家 不会 不是 不要 不能 不错""".split()
)


def lexicon_words() -> tuple[str, ...]:
    """Every multi-character word of these lexicons, for the segmenter's dictionary.

    These words shape tokenisation and so the model's word features: after editing the aspect,
    cue, polarity or emotion lists, retrain (`python -m feedbackloop.analysis.train`). Admin-defined
    aspects are matched on the text and never change tokenisation.
    """
    words: set[str] = set()
    for a in BUILTIN_ASPECTS:
        words.update(a.terms)
    for cues in PROBLEM_CUES.values():
        words.update(cues)
    words.update(POSITIVE_WORDS, NEGATIVE_WORDS, NEGATORS, INTENSIFIERS)
    for emotion_words in EMOTION_WORDS.values():
        words.update(emotion_words)
    return tuple(sorted(w for w in words if len(w) > 1 and w.isalnum()))
