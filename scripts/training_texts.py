"""Written training texts for the analysis models, labelled by ../shared/ANALYSIS_LABELS.md.

Each bank below is hand-written: fragments carry their own labels (problem type, aspects, safety class),
and `written_texts()` composes them into customer-style texts for 12 industries (SPEC §2 and the guide's
domain list). Safety classes come in many direct and indirect wordings; hard negatives use the same words
figuratively or describe the guide's not-urgent cases (spoiled fresh produce nobody ate, a pest seen
without harm). Composition is seeded, so the output never changes between runs.

    .venv/bin/python scripts/build_training_set.py   # writes feedbackloop/analysis/data/train_labelled.jsonl
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    text: str
    industry: str
    sentiment: str
    problem_type: str | None
    urgency: str
    safety_class: str | None = None
    aspects: tuple[str, ...] = field(default_factory=tuple)
    source: str = "written"


# ---- safety classes (the guide's 紧急 list), one code each ------------------------------------------
SAFETY_CLASSES = (
    "illness_injury",  # illness or injury, even minor
    "foreign_object",  # a foreign object in food
    "spoiled_food",  # spoiled cooked food or dairy
    "child_hazard",  # a hazard to children
    "counterfeit",  # counterfeit, refurbished, not genuine
    "fire_electrical",  # fire, heat or electrical hazard
    "fraud_theft_data",  # fraud, theft, data exposure
    "staff_abuse",  # abuse, humiliation or discrimination by staff
    "legal_threat",  # threat to sue or to complain to a regulator / consumer association
    "media_threat",  # threat to publish on media or social platforms
)

INDUSTRIES = ("银行", "电信", "航空铁路", "保险", "教育", "医疗", "物业公用", "汽车", "零售", "应用软件", "快递",
              "酒店", "餐饮外卖", "电商")

# (industry, text, safety class, problem type, aspects)
SAFETY: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    # foreign objects in food, any wording
    ("餐饮外卖", "买的儿童水杯盖子里有一块碎玻璃", "child_hazard", "产品功能", ("质量:negative",)),
    ("餐饮外卖", "米饭里扒拉出一小截钢丝球的铁丝", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "汤里漂着一根长头发，整碗都没法喝了", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "咬到一个硬硬的东西，吐出来是半个螺丝钉", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "炒饭里夹着一片创可贴，想想就反胃", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "面条里有只黑色的小飞虫，已经煮熟了", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "沙拉里吃到一块透明塑料片，差点咽下去", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "粥底有一颗小石子，硌掉了我半颗牙", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "包子馅里居然包着一小段绳子", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "奶茶喝到最后杯底沉着一只蟑螂腿", "foreign_object", "产品功能", ()),
    ("零售", "超市买的面包切开里面夹着一截蓝色塑料丝", "foreign_object", "产品功能", ("质量:negative",)),
    ("零售", "罐头打开看到里面有一块金属碎片", "foreign_object", "产品功能", ("质量:negative",)),
    ("航空铁路", "高铁上买的盒饭里有根很长的毛发", "foreign_object", "产品功能", ()),
    ("航空铁路", "飞机餐的鸡肉里嵌着一片指甲一样的东西", "foreign_object", "产品功能", ()),
    ("酒店", "酒店早餐的煎蛋里有一根头发丝", "foreign_object", "产品功能", ("早餐:negative",)),
    ("教育", "学校食堂的菜里吃出了一条青虫", "foreign_object", "产品功能", ()),
    ("医疗", "住院部送来的病号饭里有个烟头", "foreign_object", "产品功能", ()),
    ("电商", "网购的坚果袋子里混着好几颗小石子和一根铁丝", "foreign_object", "产品功能", ("质量:negative",)),
    ("餐饮外卖", "吃着吃着嘴里多了一块玻璃渣，满嘴是血", "foreign_object", "产品功能", ()),
    ("餐饮外卖", "凉皮里裹着一团像抹布纤维一样的东西", "foreign_object", "产品功能", ()),
    # spoiled cooked food or dairy
    ("餐饮外卖", "送来的红烧肉一股馊味，明显是隔夜的", "spoiled_food", "产品功能", ("味道:negative",)),
    ("餐饮外卖", "寿司的米饭已经发酸拉丝了", "spoiled_food", "产品功能", ("味道:negative",)),
    ("餐饮外卖", "鸡肉切开里面还是粉红色带血的，根本没熟", "spoiled_food", "产品功能", ()),
    ("零售", "刚买的酸奶没过保质期，打开已经结块发苦", "spoiled_food", "产品功能", ("质量:negative",)),
    ("零售", "牛奶喝了一口是酸的，一看盒子胀包了", "spoiled_food", "产品功能", ("质量:negative",)),
    ("电商", "收到的月饼里面长了白毛", "spoiled_food", "产品功能", ("质量:negative",)),
    ("电商", "奶粉罐打开里面结成硬块还有怪味，给孩子冲了一次", "spoiled_food", "产品功能", ("质量:negative",)),
    ("航空铁路", "航班上发的三明治闻着就不对劲，生菜都臭了，吃了一口", "spoiled_food", "产品功能", ()),
    ("酒店", "自助早餐的炒蛋有股哈喇味，鸡蛋明显不新鲜", "spoiled_food", "产品功能", ("早餐:negative",)),
    ("教育", "孩子说幼儿园午饭的饭菜是馊的", "spoiled_food", "产品功能", ()),
    ("餐饮外卖", "打开盒子汤面上一层白色霉点", "spoiled_food", "产品功能", ()),
    ("零售", "熟食柜买的卤牛肉表面黏糊糊的，已经坏了", "spoiled_food", "产品功能", ("质量:negative",)),
    # illness or injury, even minor
    ("餐饮外卖", "昨晚吃完他家的烧烤，半夜跑了五趟厕所", "illness_injury", "产品功能", ()),
    ("餐饮外卖", "吃完这家的海鲜饭全家上吐下泻，今天都请假了", "illness_injury", "产品功能", ()),
    ("餐饮外卖", "午饭吃了他们的凉拌菜，下午胃里翻江倒海", "illness_injury", "产品功能", ()),
    ("零售", "用了他们卖的面霜，脸上起了一片红疹子又痒又肿", "illness_injury", "产品功能", ("质量:negative",)),
    ("电商", "洗发水用了两次头皮就红肿刺痛", "illness_injury", "产品功能", ("质量:negative",)),
    ("酒店", "浴室地面太滑，我摔了一跤膝盖磕破了", "illness_injury", "产品功能", ("设施:negative",)),
    ("酒店", "住了一晚身上被咬了好多红包，床上应该有虫", "illness_injury", "产品功能", ("卫生:negative",)),
    ("航空铁路", "行李架上的箱子掉下来砸到我的头，起了个大包", "illness_injury", "服务质量", ()),
    ("航空铁路", "列车急刹车，开水洒在手上烫红了一大片", "illness_injury", "产品功能", ()),
    ("零售", "商场的自动扶梯突然停了，我妈往前一栽扭到了脚", "illness_injury", "产品功能", ("设施:negative",)),
    ("物业公用", "小区门口的井盖松了，我晚上一脚踩空崴了脚", "illness_injury", "产品功能", ("设施:negative",)),
    ("物业公用", "楼道灯坏了一个月没人修，老人下楼摔伤了", "illness_injury", "服务质量", ("设施:negative",)),
    ("医疗", "护士扎了三次针都没扎进去，手背肿得老高", "illness_injury", "服务质量", ("服务:negative",)),
    ("医疗", "在药房拿错了药，吃了两天才发现，头晕恶心", "illness_injury", "服务质量", ()),
    ("医疗", "体检抽血的针头好像没有换新的，我现在很担心会不会感染", "illness_injury", "服务质量", ()),
    ("汽车", "保养后刹车变软，下坡差点追尾，脖子到现在还疼", "illness_injury", "服务质量", ()),
    ("汽车", "刚提的车座椅调节杆有毛刺，把手划出一道口子", "illness_injury", "产品功能", ("质量:negative",)),
    ("教育", "孩子在培训班上体育课摔骨折了，老师一直没通知家长", "illness_injury", "服务质量", ()),
    ("快递", "快递员把箱子从楼梯上往下扔，砸到了我的脚", "illness_injury", "物流", ("物流:negative",)),
    ("餐饮外卖", "吃完嘴唇发麻喉咙发紧，像是过敏了，菜里有花生却没写", "illness_injury", "产品功能", ()),
    ("电商", "按摩仪用的时候夹到头发，头皮扯掉一块", "illness_injury", "产品功能", ("质量:negative",)),
    ("零售", "试衣间的镜子没固定好，倒下来划伤了手臂", "illness_injury", "产品功能", ("设施:negative",)),
    ("电信", "营业厅的玻璃门没有任何提示，我直接撞上去鼻子流血了", "illness_injury", "产品功能", ("设施:negative",)),
    # hazards to children
    ("电商", "给宝宝买的牙胶一咬就掉小碎块，差点卡住喉咙", "child_hazard", "产品功能", ("质量:negative",)),
    ("电商", "儿童玩具的小零件一拧就掉，孩子差点塞进嘴里", "child_hazard", "产品功能", ("质量:negative",)),
    ("电商", "婴儿床的栏杆间距太大，孩子的头卡进去了", "child_hazard", "产品功能", ("质量:negative",)),
    ("零售", "商场儿童区的滑梯边上有翘起来的铁皮，很锋利", "child_hazard", "产品功能", ("设施:negative",)),
    ("酒店", "亲子房的窗户没有限位器，能完全推开，楼层那么高太危险了", "child_hazard", "产品功能", ("设施:negative",)),
    ("教育", "托班老师让两岁的孩子单独待在阳台上", "child_hazard", "服务质量", ("服务:negative",)),
    ("物业公用", "小区游乐场的秋千链子断了一根，孩子们还在玩，物业不管", "child_hazard", "服务质量", ("设施:negative",)),
    ("电商", "儿童保温杯的吸管里有黑色的霉斑", "child_hazard", "产品功能", ("质量:negative",)),
    ("电商", "童装的帽子抽绳特别长，孩子玩的时候勒到了脖子", "child_hazard", "产品功能", ("质量:negative",)),
    ("电商", "宝宝的安抚奶嘴用了三天奶嘴头就裂开了", "child_hazard", "产品功能", ("质量:negative",)),
    ("汽车", "儿童安全座椅的卡扣自己弹开了", "child_hazard", "产品功能", ("质量:negative",)),
    ("餐饮外卖", "儿童套餐送的小玩具里是一颗颗小磁珠，很容易被吞", "child_hazard", "产品功能", ()),
    ("航空铁路", "乘务员把滚烫的咖啡放在我家孩子够得着的小桌板上", "child_hazard", "服务质量", ("服务:negative",)),
    ("零售", "超市的购物车儿童座椅安全带是坏的，孩子差点摔下来", "child_hazard", "产品功能", ("设施:negative",)),
    # counterfeit / refurbished / not genuine
    ("电商", "手机拆封后发现电池循环次数已经三百多，明显是翻新机", "counterfeit", "产品功能", ("质量:negative",)),
    ("电商", "专柜验了说不是正品，标签都是后缝的", "counterfeit", "产品功能", ("质量:negative",)),
    ("电商", "序列号官网查不到，这耳机怕是高仿", "counterfeit", "产品功能", ("质量:negative",)),
    ("电商", "包装盒有拆过再封的胶痕，里面的机器有使用痕迹", "counterfeit", "产品功能", ("质量:negative",)),
    ("电商", "香水味道和专柜的完全不一样，酒精味冲鼻子，怀疑是假的", "counterfeit", "产品功能", ("质量:negative",)),
    ("零售", "在店里买的名牌运动鞋，鞋标和官网的对不上，像是山寨货", "counterfeit", "产品功能", ("质量:negative",)),
    ("汽车", "4S店说换的是原厂配件，拆开一看是副厂件", "counterfeit", "服务质量", ()),
    ("汽车", "买的新车里程表显示已经跑了八百公里，说是新车谁信", "counterfeit", "产品功能", ()),
    ("医疗", "药店买的药和医院开的包装不一样，批号查不到", "counterfeit", "产品功能", ()),
    ("电商", "说好的全新笔记本，键盘磨得发亮，是二手翻新的", "counterfeit", "产品功能", ("质量:negative",)),
    ("电商", "奶粉的防伪码扫出来显示已被查询过多次", "counterfeit", "产品功能", ("质量:negative",)),
    ("电商", "收到的茅台瓶盖松动，喝起来跟兑了水一样，不是真酒", "counterfeit", "产品功能", ("质量:negative",)),
    ("零售", "柜台卖的金饰去检测含金量不够，掺了别的金属", "counterfeit", "产品功能", ("质量:negative",)),
    # fire, heat, electrical
    ("电商", "充电器插上就冒烟了，差点着火", "fire_electrical", "产品功能", ("质量:negative",)),
    ("电商", "电热毯用了一晚，有一块烧焦发黑了", "fire_electrical", "产品功能", ("质量:negative",)),
    ("电商", "充电宝放在包里自己鼓起来，烫得拿不住", "fire_electrical", "产品功能", ("电池:negative",)),
    ("电商", "电水壶底座一摸就麻手", "fire_electrical", "产品功能", ("质量:negative",)),
    ("电商", "插线板插头处已经熔化变形，有股塑料烧焦的味道", "fire_electrical", "产品功能", ("质量:negative",)),
    ("电商", "手机充电时后盖烫到能煎蛋，还闻到焦味", "fire_electrical", "产品功能", ("电池:negative",)),
    ("酒店", "房间的插座一插电就噼啪冒火花", "fire_electrical", "产品功能", ("设施:negative",)),
    ("酒店", "半夜闻到走廊有烧焦的味道，消防通道还被杂物堵着", "fire_electrical", "产品功能", ("设施:negative",)),
    ("物业公用", "楼下电箱的电线裸露在外，下雨天还滋滋响", "fire_electrical", "服务质量", ("设施:negative",)),
    ("物业公用", "燃气表附近一直有股臭鸡蛋味，报修三天没人来", "fire_electrical", "服务质量", ()),
    ("物业公用", "热水器洗澡的时候手碰到水龙头被电了一下", "fire_electrical", "产品功能", ("设施:negative",)),
    ("汽车", "新车开了两个月，仪表台下面冒出烟来", "fire_electrical", "产品功能", ("质量:negative",)),
    ("汽车", "电动车停在车库充电，电池包发烫还有焦糊味", "fire_electrical", "产品功能", ("电池:negative",)),
    ("餐饮外卖", "店里的电磁炉在桌上直接爆出火苗", "fire_electrical", "产品功能", ("设施:negative",)),
    ("电信", "光猫的电源适配器烫手，外壳都发黄了", "fire_electrical", "产品功能", ("质量:negative",)),
    ("零售", "买的暖风机倒了也不会自动断电，地毯被烤焦了一块", "fire_electrical", "产品功能", ("质量:negative",)),
    # fraud, theft, data exposure
    ("银行", "卡一直在我身上，却被人在外地刷走了两万", "fraud_theft_data", "其他", ()),
    ("银行", "我没有办过这笔贷款，征信上却多了一条逾期记录", "fraud_theft_data", "其他", ()),
    ("银行", "客户经理私下让我把钱转到他个人账户买理财", "fraud_theft_data", "服务质量", ("服务:negative",)),
    ("银行", "手机银行莫名其妙多了一个我没开通的扣费业务，每月扣款", "fraud_theft_data", "价格", ()),
    ("电信", "刚办完宽带就接到好几个推销电话，报出我的姓名和住址", "fraud_theft_data", "其他", ("隐私:negative",)),
    ("电信", "营业员偷偷给我开通了好几个增值业务，话费被扣了一年", "fraud_theft_data", "价格", ()),
    ("电信", "有人拿着假证件在营业厅补办了我的手机卡", "fraud_theft_data", "服务质量", ()),
    ("应用软件", "登录页面上显示了别人的订单和手机号", "fraud_theft_data", "其他", ("隐私:negative",)),
    ("应用软件", "这个软件后台偷偷读取我的通讯录和相册", "fraud_theft_data", "其他", ("隐私:negative",)),
    ("应用软件", "账号没有任何提醒就在陌生设备上登录，余额被转空了", "fraud_theft_data", "其他", ()),
    ("酒店", "放在房间保险箱里的现金少了一千块", "fraud_theft_data", "服务质量", ()),
    ("酒店", "前台把我的房间号和身份证信息大声念给陌生人听", "fraud_theft_data", "服务质量", ("隐私:negative",)),
    ("快递", "包裹显示已签收，但我根本没收到，监控里是别人拿走的", "fraud_theft_data", "物流", ("物流:negative",)),
    ("快递", "快递面单上印着我的全名电话和住址，被人拍照发到群里", "fraud_theft_data", "其他", ("隐私:negative",)),
    ("保险", "业务员代签了我的名字，给我换成了另一份保险", "fraud_theft_data", "服务质量", ()),
    ("保险", "销售承诺的保障条款合同里根本没有，这是骗保", "fraud_theft_data", "服务质量", ()),
    ("教育", "机构收了一年学费后老板跑路了，电话全部打不通", "fraud_theft_data", "价格", ()),
    ("医疗", "医院把我的检查报告发给了我的单位领导", "fraud_theft_data", "其他", ("隐私:negative",)),
    ("电商", "付款后商家让我加微信私下转账，说是退款，结果钱没了", "fraud_theft_data", "服务质量", ()),
    ("汽车", "销售把我的首付款打到了自己的账户上", "fraud_theft_data", "服务质量", ()),
    ("零售", "收银员多刷了我一次卡，小票上却只打了一笔", "fraud_theft_data", "价格", ()),
    # staff abuse, humiliation, discrimination
    ("银行", "柜员当着排队的人骂我是文盲，连个表都不会填", "staff_abuse", "服务质量", ("服务:negative",)),
    ("银行", "保安推搡我家老人，说他穿得太脏不让进大厅", "staff_abuse", "服务质量", ("服务:negative",)),
    ("航空铁路", "乘务员对我这个坐轮椅的乘客翻白眼，还说我们残疾人就别出来添乱", "staff_abuse", "服务质量", ("服务:negative",)),
    ("航空铁路", "地勤人员冲我吼叫，还把我的登机牌扔在地上", "staff_abuse", "服务质量", ("服务:negative",)),
    ("酒店", "前台听到我是外地口音就说没房了，我朋友打电话却订到了", "staff_abuse", "服务质量", ("服务:negative",)),
    ("餐饮外卖", "骑手打电话骂我事多，还威胁说知道我住哪", "staff_abuse", "服务质量", ("服务:negative",)),
    ("零售", "店员怀疑我偷东西，当众要搜我的包", "staff_abuse", "服务质量", ("服务:negative",)),
    ("零售", "导购看我穿得普通，阴阳怪气地说这个你买不起", "staff_abuse", "服务质量", ("服务:negative",)),
    ("教育", "老师在班级群里点名羞辱我家孩子笨", "staff_abuse", "服务质量", ("服务:negative",)),
    ("教育", "教练动手打了学员的后脑勺", "staff_abuse", "服务质量", ("服务:negative",)),
    ("医疗", "医生不耐烦地说你这种病就是自己作出来的，还把病历摔在桌上", "staff_abuse", "服务质量", ("服务:negative",)),
    ("医疗", "护工对我瘫痪的父亲又掐又骂", "staff_abuse", "服务质量", ("服务:negative",)),
    ("物业公用", "物业保安因为停车的事扇了业主一巴掌", "staff_abuse", "服务质量", ("服务:negative",)),
    ("快递", "快递员因为我要求送上楼，就在电话里用脏话辱骂我", "staff_abuse", "服务质量", ("物流:negative",)),
    ("汽车", "销售听说我是女的就说女司机买什么好车", "staff_abuse", "服务质量", ("服务:negative",)),
    ("电信", "营业员嘲笑我老人家不会用智能手机，还让我别浪费大家时间", "staff_abuse", "服务质量", ("服务:negative",)),
    ("保险", "理赔员说我们乡下人就是想讹钱", "staff_abuse", "服务质量", ("服务:negative",)),
]

# Threats to escalate: each is a closing sentence added to an ordinary complaint.
LEGAL_THREATS = (
    "我已经咨询律师了，准备走法律程序", "再不处理我就去法院起诉你们", "我会向12315投诉", "明天就去消费者协会反映",
    "这事我要向市场监管局举报", "我已经打了银保监的热线", "我会向通信管理局申诉", "我要向民航局投诉",
    "准备向教育局实名举报", "我会向卫健委反映这个情况", "不给个说法我就报警", "我保留追究法律责任的权利",
    "已经在黑猫投诉上提交了", "会找消协维权到底", "我要去工商部门投诉你们",
)
MEDIA_THREATS = (
    "我会把视频发到抖音上让大家看看", "准备发微博曝光你们", "我要在小红书上写长文避雷", "已经联系了电视台的记者",
    "不解决我就发到朋友圈和业主群", "我会把聊天记录发到网上", "准备找本地新闻媒体曝光", "我会在大众点评和知乎上曝光这件事",
    "这件事我一定会发到网上让更多人知道", "我已经录了视频，等着上热搜吧",
)
THREAT_COMPLAINTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("银行", "信用卡明明按时还了款，却被收了滞纳金，客服一直推脱", "价格", ("客服:negative",)),
    ("电信", "宽带断了一个星期，报修了五次都说在排队", "服务质量", ("网络:negative",)),
    ("电信", "合约期没到就被强制涨了套餐费", "价格", ("价格:negative",)),
    ("航空铁路", "航班取消了没有任何通知，改签还要我补差价", "服务质量", ("准点:negative",)),
    ("航空铁路", "托运的行李箱轮子被摔掉了，柜台说不归他们管", "服务质量", ("服务:negative",)),
    ("保险", "理赔材料交了三个月，一直拖着不赔", "服务质量", ("服务:negative",)),
    ("教育", "退课的钱承诺七个工作日到账，两个月了还没退", "价格", ()),
    ("医疗", "挂了专家号，结果给我看病的是个实习医生", "服务质量", ("服务:negative",)),
    ("物业公用", "物业费年年涨，电梯却坏了半年都没修", "服务质量", ("设施:negative",)),
    ("汽车", "新车刚开一周变速箱就异响，4S店说是正常现象", "产品功能", ("质量:negative",)),
    ("零售", "会员卡里的余额莫名被清零，店长说是系统问题", "价格", ()),
    ("应用软件", "自动续费扣了我三个月的钱，根本找不到取消的入口", "价格", ()),
    ("快递", "贵重包裹丢了，只肯按运费的三倍赔", "物流", ("物流:negative",)),
    ("酒店", "到店后说订单不存在，让我们半夜另找地方住", "服务质量", ("服务:negative",)),
    ("餐饮外卖", "订单备注了不要辣，送来的每道菜都是辣的，商家还不认账", "服务质量", ("味道:negative",)),
    ("电商", "买的冰箱收到就是坏的，商家拒绝退换", "服务质量", ("客服:negative",)),
    ("电商", "七天无理由退货，商家收到货后就不理人了", "服务质量", ("客服:negative",)),
]

# The guide's not-urgent cases and figurative uses of the same words.
HARD_NEGATIVES: list[tuple[str, str, str, str | None, str, tuple[str, ...]]] = [
    # (industry, text, sentiment, problem type, urgency, aspects)
    ("电商", "买的橙子有两个放烂了，没吃直接扔了，希望下次挑仔细点", "negative", "产品功能", "建议", ("质量:negative",)),
    ("电商", "收到的香蕉有几根熟过头发黑了，其他的还行", "negative", "产品功能", "一般", ("质量:negative",)),
    ("电商", "苹果里有一个烂了半边，我挑出来扔了", "negative", "产品功能", "一般", ("质量:negative",)),
    ("零售", "超市的青菜叶子有点黄了，不太新鲜", "negative", "产品功能", "一般", ("质量:negative",)),
    ("电商", "草莓压坏了好几颗，没法吃只能扔", "negative", "物流", "一般", ("包装:negative",)),
    ("酒店", "晚上在走廊看到一只小蟑螂跑过去，房间里倒还干净", "negative", "产品功能", "一般", ("卫生:negative",)),
    ("餐饮外卖", "店门口有几只苍蝇飞来飞去，不过菜的味道还可以", "positive", "产品功能", "一般", ("卫生:negative", "味道:positive")),
    ("物业公用", "小区垃圾站附近看见过老鼠，希望物业多灭几次鼠", "negative", "服务质量", "建议", ("卫生:negative",)),
    ("餐饮外卖", "辣到爆炸，太过瘾了，下次还点", "positive", None, "建议", ("味道:positive",)),
    ("餐饮外卖", "这家的小龙虾好吃到爆，强烈推荐", "positive", None, "建议", ("味道:positive",)),
    ("电商", "价格杀疯了，这个质量真的香", "positive", None, "建议", ("价格:positive", "质量:positive")),
    ("应用软件", "新版本简直是炸裂级的好用，老用户感动哭了", "positive", None, "建议", ("界面:positive",)),
    ("电商", "笑死，快递小哥比我还急，第二天就送到了", "positive", None, "建议", ("物流:positive",)),
    ("餐饮外卖", "这家的毛血旺火辣到爆，吃得我满头大汗，超满足", "positive", None, "建议", ("味道:positive",)),
    ("电商", "这本书太上头了，中毒太深，一口气看完", "positive", None, "建议", ("内容:positive",)),
    ("电商", "这部剧看得我心都碎了，编剧太会写了", "positive", None, "建议", ("内容:positive",)),
    ("电商", "这款游戏本性能爆炸，跑大型游戏都不卡", "positive", None, "建议", ("性能:positive",)),
    ("银行", "这个理财收益高得吓人，我都怀疑是不是真的，结果真的到账了", "positive", None, "建议", ()),
    ("电信", "网速快到飞起，看视频一点都不卡", "positive", None, "建议", ("网络:positive",)),
    ("餐饮外卖", "汉堡分量大到吓死人，一个人根本吃不完", "positive", None, "建议", ("分量:positive",)),
    ("酒店", "酒店的景色美到犯规，早上被阳光叫醒", "positive", None, "建议", ("环境:positive",)),
    ("电商", "这个价格简直是抢钱，还不如去实体店买", "negative", "价格", "一般", ("价格:negative",)),
    ("教育", "老师讲得太好了，我这个学渣都被救活了", "positive", None, "建议", ("服务:positive",)),
    ("电商", "这个手机壳很耐摔，从桌上掉下来好几次都没事", "positive", None, "建议", ("质量:positive",)),
    ("餐饮外卖", "麻辣烫辣得我舌头都麻了，但是好吃", "positive", None, "建议", ("味道:positive",)),
    ("汽车", "这车的加速猛得吓人，推背感十足", "positive", None, "建议", ("性能:positive",)),
    ("电商", "被种草之后买了，果然没踩雷", "positive", None, "建议", ()),
    ("应用软件", "这个软件杀手级的功能就是离线翻译，太好用了", "positive", None, "建议", ("性能:positive",)),
    ("航空铁路", "飞机颠簸得厉害，还好机长很稳，安全落地", "positive", None, "建议", ()),
    ("电商", "电池续航暴强，充一次电用三天", "positive", None, "建议", ("电池:positive",)),
    ("酒店", "空调有点吵，半夜被吵醒了两次", "negative", "产品功能", "一般", ("隔音:negative",)),
    ("电商", "电脑玩游戏的时候有点热，不过在正常范围", "positive", "产品功能", "一般", ("性能:negative",)),
    ("电商", "手机充电的时候会微微发热，其他都挺好", "positive", "产品功能", "一般", ("电池:negative",)),
    ("餐饮外卖", "菜有点咸，吃完一直想喝水", "negative", "产品功能", "一般", ("味道:negative",)),
    ("电商", "这个价格买到真的不亏，朋友都以为是假的那么便宜", "positive", None, "建议", ("价格:positive",)),
    ("电商", "担心是假货，结果专柜验了是正品，放心了", "positive", None, "建议", ("质量:positive",)),
    ("银行", "一开始以为是诈骗电话，后来才知道真是银行回访，态度挺好", "positive", None, "建议", ("服务:positive",)),
    ("快递", "快递员说要起诉偷快递的人，帮我找回了包裹，太感谢了", "positive", None, "建议", ("物流:positive",)),
    ("电商", "看了网上的曝光帖犹豫过，实际用下来挺好的", "positive", None, "建议", ("质量:positive",)),
    ("电商", "律师朋友推荐的这本书，内容很扎实", "positive", None, "建议", ("内容:positive",)),
    ("应用软件", "看新闻的时候广告太多了，希望能少一点", "negative", "产品功能", "建议", ("界面:negative",)),
    ("电商", "一直担心电池会鼓包，用了一年都没问题", "positive", None, "建议", ("电池:positive",)),
    ("餐饮外卖", "我自己不吃香菜忘了备注，不怪商家，味道很好", "positive", None, "建议", ("味道:positive",)),
    ("零售", "水果摊的榴莲有一个坏了，老板主动给我换了", "positive", None, "建议", ("服务:positive",)),
    ("酒店", "窗外能看到消防车演习，挺有意思的", "neutral", None, "一般", ()),
    ("电商", "看到评论里有人说过敏，我用了一个月没任何问题", "positive", None, "建议", ("质量:positive",)),
    ("物业公用", "物业说明天上午检修电路，会停电两个小时，请问几点恢复？", "neutral", None, "一般", ()),
]

# Pure praise per industry: no problem type, urgency 建议 (the guide), with aspects.
PRAISE: list[tuple[str, str, tuple[str, ...]]] = [
    ("银行", "柜员办业务又快又耐心，还帮我把手机银行也开通好了", ("服务:positive",)),
    ("银行", "客户经理解释理财产品的风险讲得很清楚，一点都不推销", ("服务:positive",)),
    ("银行", "手机银行转账秒到账，界面清爽好找", ("界面:positive", "性能:positive")),
    ("银行", "大堂经理看我带着老人，专门安排了座位和绿色通道", ("服务:positive",)),
    ("电信", "装宽带的师傅准时上门，走线整整齐齐，网速也够快", ("服务:positive", "网络:positive")),
    ("电信", "换了这个套餐，流量够用还比以前便宜", ("价格:positive",)),
    ("电信", "信号在地下车库都满格，很稳定", ("网络:positive",)),
    ("电信", "客服小姐姐耐心帮我查清了每一笔话费，服务真好", ("客服:positive",)),
    ("航空铁路", "航班准点起飞，还提前十分钟到达", ("准点:positive",)),
    ("航空铁路", "乘务员一路都很热情，帮我把行李放上去", ("服务:positive",)),
    ("航空铁路", "高铁车厢干净安静，座位也宽敞", ("卫生:positive", "隔音:positive", "设施:positive")),
    ("航空铁路", "改签流程很方便，在手机上点两下就好", ("界面:positive",)),
    ("保险", "理赔三天就到账了，材料也只要拍照上传", ("服务:positive",)),
    ("保险", "业务员把条款一条条讲清楚，没有夸大", ("服务:positive",)),
    ("教育", "老师讲课很有耐心，孩子的成绩提高了不少", ("服务:positive",)),
    ("教育", "课程内容很扎实，案例也贴近工作", ("内容:positive",)),
    ("教育", "班主任每周都会反馈孩子的学习情况，很用心", ("服务:positive",)),
    ("医疗", "医生问得很仔细，解释得也清楚，让人放心", ("服务:positive",)),
    ("医疗", "护士打针一点都不疼，态度特别温柔", ("服务:positive",)),
    ("医疗", "线上挂号取号很方便，基本不用排队", ("界面:positive",)),
    ("物业公用", "物业报修半小时就有师傅上门，水管当天就修好了", ("服务:positive",)),
    ("物业公用", "小区绿化打理得很好，环境干净整洁", ("环境:positive", "卫生:positive")),
    ("物业公用", "燃气公司上门安检的师傅很专业，还提醒了我们注意事项", ("服务:positive",)),
    ("汽车", "4S店保养很快，还免费帮我洗了车", ("服务:positive",)),
    ("汽车", "销售顾问不催不逼，试驾安排得很周到", ("服务:positive",)),
    ("汽车", "这车油耗低，开起来也安静", ("性能:positive", "隔音:positive")),
    ("零售", "超市的水果很新鲜，价格也实惠", ("质量:positive", "价格:positive")),
    ("零售", "店员帮我找了好几个尺码，一点都不嫌麻烦", ("服务:positive", "尺码:positive")),
    ("零售", "便利店二十四小时营业，东西齐全，店员也很客气", ("服务:positive",)),
    ("应用软件", "新版界面简洁，常用功能一下就能找到", ("界面:positive",)),
    ("应用软件", "这个记账软件很好用，没有广告", ("界面:positive",)),
    ("应用软件", "同步速度很快，换手机数据一点没丢", ("性能:positive",)),
    ("快递", "快递小哥送货上门还帮我搬上楼，服务太好了", ("物流:positive",)),
    ("快递", "昨天下午寄的今天上午就到了，包装也很结实", ("物流:positive", "包装:positive")),
    ("酒店", "房间干净整洁，床很舒服，隔音也不错", ("卫生:positive", "设施:positive", "隔音:positive")),
    ("酒店", "位置很方便，出门就是地铁站，前台服务也热情", ("位置:positive", "服务:positive")),
    ("酒店", "早餐种类很丰富，每天都有不重样的点心", ("早餐:positive",)),
    ("餐饮外卖", "味道很正宗，分量也足，送得还很快", ("味道:positive", "分量:positive", "送餐速度:positive")),
    ("餐饮外卖", "送到的时候还是热乎的，骑手很有礼貌", ("送餐速度:positive", "服务:positive")),
    ("餐饮外卖", "包装很严实，汤一点都没洒", ("包装:positive",)),
    ("电商", "衣服质量很好，尺码标准，穿着很合身", ("质量:positive", "尺码:positive")),
    ("电商", "手机运行流畅，电池也很耐用", ("性能:positive", "电池:positive")),
    ("电商", "物流很快，包装完好，是正品", ("物流:positive", "包装:positive", "质量:positive")),
    ("电商", "这本书内容很精彩，印刷也清晰", ("内容:positive", "质量:positive")),
    ("电商", "外观很漂亮，颜色和图片一样", ("外观:positive",)),
    ("电商", "客服回复很快，帮我解决了安装的问题", ("客服:positive",)),
]
PRAISE_MORE: list[tuple[str, str, tuple[str, ...]]] = [
    ("银行", "信用卡额度提得很及时，客服也讲得很清楚", ("客服:positive",)),
    ("电信", "换了光纤以后打游戏一点都不卡了，赞", ("网络:positive",)),
    ("航空铁路", "高铁上的餐车盒饭还挺好吃的", ("味道:positive",)),
    ("保险", "出险后业务员第一时间赶到现场，很靠谱", ("服务:positive",)),
    ("教育", "网课平台很稳定，回放也方便", ("性能:positive",)),
    ("医疗", "药房的药师很细心地告诉我怎么吃药", ("服务:positive",)),
    ("物业公用", "保安大叔每天都很热情地打招呼", ("服务:positive",)),
    ("汽车", "车子开了三年没出过毛病，质量真好", ("质量:positive",)),
    ("零售", "这家店的东西便宜又好，老板人也好", ("价格:positive", "服务:positive")),
    ("应用软件", "这个app简单好用，我妈都会用", ("界面:positive",)),
    ("快递", "下雨天快递员还用塑料袋把包裹包好了，感动", ("物流:positive", "包装:positive")),
    ("酒店", "窗外就是海，风景太美了", ("环境:positive",)),
    ("餐饮外卖", "yyds！这家的烤肉绝了🔥", ("味道:positive",)),
    ("电商", "質量很好，物流也快，推薦", ("质量:positive", "物流:positive")),
]
PRAISE_OPENERS = ("", "", "", "第一次用，", "用了一段时间了，", "总体来说，", "说实话，", "又来回购了，", "必须好评！")
PRAISE_CLOSERS = ("", "", "", "，推荐！", "，下次还来。", "，五星好评。", "，很满意。", "👍", "，会推荐给朋友。", "😊")

# Neutral texts: questions and plain statements; no aspects, no problem type, urgency 一般.
NEUTRAL: list[tuple[str, str]] = [
    ("银行", "请问信用卡的账单日可以改吗？"), ("银行", "想问一下周六网点营业吗"), ("银行", "外币兑换需要提前预约吗？"),
    ("银行", "我想咨询一下房贷提前还款的流程"), ("电信", "请问套餐可以中途变更吗"), ("电信", "宽带到期了怎么续费？"),
    ("电信", "想了解一下携号转网需要什么材料"), ("航空铁路", "请问儿童票怎么买？"), ("航空铁路", "行李托运的额度是多少公斤"),
    ("航空铁路", "明天早上的航班几点开始值机？"), ("保险", "请问理赔需要准备哪些材料"), ("保险", "这份保险的等待期是多久？"),
    ("教育", "请问下学期的课程什么时候开始报名"), ("教育", "试听课需要提前预约吗？"), ("医疗", "请问周末有专家门诊吗"),
    ("医疗", "体检报告一般几天出来？"), ("物业公用", "请问物业费可以线上缴纳吗"), ("物业公用", "停车卡到期了去哪里续？"),
    ("物业公用", "燃气开户需要带什么证件"), ("汽车", "请问首保是多少公里"), ("汽车", "这款车有没有混动版本？"),
    ("零售", "请问这件衣服还有M码吗"), ("零售", "会员积分怎么兑换？"), ("应用软件", "怎么修改绑定的手机号？"),
    ("应用软件", "请问这个软件支持导出表格吗"), ("快递", "请问寄到新疆需要几天"), ("快递", "快递可以放到驿站吗"),
    ("酒店", "请问酒店有停车位吗"), ("酒店", "可以提前入住吗？大概中午到"), ("酒店", "早餐是几点到几点"),
    ("餐饮外卖", "请问有没有不辣的菜"), ("餐饮外卖", "晚上几点停止接单？"), ("电商", "请问这个型号支持5G吗"),
    ("电商", "下单后多久发货？"), ("电商", "今天收到货了，还没用"), ("电商", "东西收到了，过几天再来评价"),
    ("酒店", "我们一行四个人，明天入住"), ("银行", "已经按要求提交了材料"), ("应用软件", "更新到了最新版本"),
    ("快递", "包裹放在门卫室了"), ("教育", "孩子这学期报了两门课"), ("医疗", "今天去复查了"),
]

# Added in a second batch; composed after everything else with their own generator, so that the
# texts above (and their ids, which the second labeller's sample refers to) never change.
NEUTRAL_MORE: list[tuple[str, str]] = [
    ("银行", "请问手机银行怎么查流水"), ("银行", "想办一张储蓄卡，需要带什么？"), ("银行", "我明天上午去网点取号"),
    ("银行", "请问大额存单现在的利率是多少"), ("银行", "刚刚收到了你们的账单短信"), ("电信", "请问5G套餐包含多少流量"),
    ("电信", "宽带师傅说下午两点上门"), ("电信", "想问下国际漫游怎么开通？"), ("电信", "我换了新手机号，想改绑定"),
    ("航空铁路", "请问高铁可以带充电宝吗"), ("航空铁路", "我订的是明天上午的航班"), ("航空铁路", "退票需要在几点之前？"),
    ("航空铁路", "请问中转的行李需要重新托运吗"), ("保险", "保单的电子版在哪里下载？"), ("保险", "我想咨询一下车险的续保"),
    ("保险", "已经上传了理赔资料"), ("教育", "请问周末班还有名额吗"), ("教育", "孩子下周开始上网课"),
    ("教育", "想了解一下成人本科的报名条件"), ("医疗", "请问挂号可以用医保卡吗"), ("医疗", "明天早上需要空腹抽血吗？"),
    ("医疗", "我预约了下周三的牙科"), ("物业公用", "请问小区的快递柜在哪里"), ("物业公用", "下个月开始收取暖费吗？"),
    ("物业公用", "我家的水表号是多少，怎么查"), ("物业公用", "停电通知贴在一楼了"), ("汽车", "请问保养需要提前预约吗"),
    ("汽车", "我想了解一下置换补贴的政策"), ("汽车", "车子下周二送去年检"), ("零售", "请问你们几点关门？"),
    ("零售", "这款洗衣液有没有大瓶装"), ("零售", "会员日是每个月几号"), ("应用软件", "请问怎么把聊天记录导出来"),
    ("应用软件", "刚下载了你们的app"), ("应用软件", "安卓版什么时候更新？"), ("快递", "请问周日派件吗"),
    ("快递", "我的单号是多少，短信里没看到"), ("快递", "寄一份文件到北京大概多少钱？"), ("酒店", "请问可以开发票吗"),
    ("酒店", "我们大概晚上十点到，房间请保留"), ("酒店", "酒店离火车站有多远？"), ("餐饮外卖", "请问有儿童餐吗"),
    ("餐饮外卖", "今天中午订了四份盒饭"), ("餐饮外卖", "可以帮忙多放两双筷子吗"), ("电商", "请问这个尺码偏大还是偏小"),
    ("电商", "什么时候有货？"), ("电商", "这款和上一代有什么区别"), ("电商", "已下单，等发货"),
    ("电商", "請問這款有白色的嗎？"), ("应用软件", "how to change the password? 在哪里改"), ("电商", "刚收到，明天试试看📦"),
]

# Ordinary complaints, one type each (urgency 一般), with aspects.
COMPLAINTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("银行", "柜台只开了一个窗口，排了一个半小时", "服务质量", ("服务:negative",)),
    ("银行", "跨行转账手续费比别家贵了一倍", "价格", ("价格:negative",)),
    ("银行", "手机银行的转账按钮藏得太深，找了半天", "界面/交互", ("界面:negative",)),
    ("银行", "信用卡年费说好免的，结果还是扣了", "价格", ("价格:negative",)),
    ("银行", "客服电话转了五次人工都没人接", "服务质量", ("客服:negative",)),
    ("银行", "网点离我家太远，附近连个自助机都没有", "其他", ("位置:negative",)),
    ("电信", "家里的宽带每到晚上就卡得不行", "产品功能", ("网络:negative",)),
    ("电信", "套餐里莫名其妙多了一项十块钱的增值费", "价格", ("价格:negative",)),
    ("电信", "营业厅的人态度很敷衍，问什么都说不知道", "服务质量", ("服务:negative",)),
    ("电信", "app里找不到退订的地方，绕了好几圈", "界面/交互", ("界面:negative",)),
    ("电信", "信号太差了，在家打电话经常断", "产品功能", ("网络:negative",)),
    ("航空铁路", "航班延误了三个小时，没有任何解释", "服务质量", ("准点:negative",)),
    ("航空铁路", "高铁上的座椅太硬，坐久了腰疼", "产品功能", ("设施:negative",)),
    ("航空铁路", "改签手续费太高了", "价格", ("价格:negative",)),
    ("航空铁路", "购票页面选座一直转圈，点不动", "界面/交互", ("界面:negative",)),
    ("航空铁路", "机上的餐食难吃，面包又干又硬", "产品功能", ("味道:negative",)),
    ("保险", "理赔流程太繁琐，同一份材料要交三次", "服务质量", ("服务:negative",)),
    ("保险", "续保的价格一年比一年贵", "价格", ("价格:negative",)),
    ("保险", "小程序上的保单页面字太小，根本看不清", "界面/交互", ("界面:negative",)),
    ("教育", "老师上课照本宣科，学不到东西", "产品功能", ("内容:negative",)),
    ("教育", "课程费用太贵了，和内容不匹配", "价格", ("价格:negative",)),
    ("教育", "网课平台老是掉线，回放也找不到", "产品功能", ("性能:negative",)),
    ("教育", "助教回消息很慢，问题几天都没人回", "服务质量", ("服务:negative",)),
    ("医疗", "挂号排了两个小时，看病五分钟", "服务质量", ("服务:negative",)),
    ("医疗", "检查费太贵了，很多项目感觉没必要", "价格", ("价格:negative",)),
    ("医疗", "医院的自助机操作太复杂，老人根本不会用", "界面/交互", ("界面:negative",)),
    ("医疗", "病房的厕所很脏，一股味道", "产品功能", ("卫生:negative",)),
    ("物业公用", "物业报修一个星期都没人来", "服务质量", ("服务:negative",)),
    ("物业公用", "水费这个月突然翻倍，也没人解释", "价格", ("价格:negative",)),
    ("物业公用", "小区的电梯经常停运", "产品功能", ("设施:negative",)),
    ("物业公用", "楼上装修太吵了，物业也不管", "服务质量", ("隔音:negative",)),
    ("汽车", "保养的工时费比外面贵太多", "价格", ("价格:negative",)),
    ("汽车", "车机系统反应慢，导航经常卡住", "产品功能", ("性能:negative",)),
    ("汽车", "提车等了两个月，一再推迟", "物流", ("物流:negative",)),
    ("汽车", "销售交车前说的和交车后完全两个样", "服务质量", ("服务:negative",)),
    ("零售", "收银只开了两个口，排队太久", "服务质量", ("服务:negative",)),
    ("零售", "标签上的价格和结账的价格不一样", "价格", ("价格:negative",)),
    ("零售", "买的衣服洗了一次就掉色", "产品功能", ("质量:negative",)),
    ("零售", "商场停车场太难找车位了", "其他", ("设施:negative",)),
    ("应用软件", "更新之后经常闪退", "产品功能", ("性能:negative",)),
    ("应用软件", "设置页面太乱了，找个退出登录都找不到", "界面/交互", ("界面:negative",)),
    ("应用软件", "会员费涨了，功能却没变", "价格", ("价格:negative",)),
    ("应用软件", "开屏广告太多，关闭按钮小得点不到", "界面/交互", ("界面:negative",)),
    ("应用软件", "客服只会发机器人回复，问题一直没解决", "服务质量", ("客服:negative",)),
    ("快递", "快递一个星期了还没到，物流信息也不更新", "物流", ("物流:negative",)),
    ("快递", "快递员不打招呼就把包裹扔在驿站", "物流", ("物流:negative",)),
    ("快递", "箱子送到的时候被压得变形了", "物流", ("包装:negative",)),
    ("快递", "寄件的运费比网上显示的贵", "价格", ("价格:negative",)),
    ("酒店", "房间隔音太差，隔壁说话听得清清楚楚", "产品功能", ("隔音:negative",)),
    ("酒店", "卫生间有头发，毛巾也发黄", "产品功能", ("卫生:negative",)),
    ("酒店", "前台办入住慢吞吞的，等了半小时", "服务质量", ("服务:negative",)),
    ("酒店", "房价太贵了，和设施完全不匹配", "价格", ("价格:negative", "设施:negative")),
    ("酒店", "酒店太偏僻了，打车都打不到", "其他", ("位置:negative",)),
    ("酒店", "早餐品种太少，去晚了什么都没了", "产品功能", ("早餐:negative",)),
    ("酒店", "房间的wifi时有时无", "产品功能", ("网络:negative",)),
    ("餐饮外卖", "送到的时候菜都凉透了", "物流", ("送餐速度:negative",)),
    ("餐饮外卖", "等了一个半小时才送到", "物流", ("送餐速度:negative",)),
    ("餐饮外卖", "备注了不要香菜还是放了", "服务质量", ()),
    ("餐饮外卖", "少送了一份米饭，打电话也没人接", "服务质量", ()),
    ("餐饮外卖", "味道太咸了，而且油很多", "产品功能", ("味道:negative",)),
    ("餐饮外卖", "分量越来越少了，价格倒是涨了", "产品功能", ("分量:negative", "价格:negative")),
    ("餐饮外卖", "汤洒了一半，袋子里全是油", "物流", ("包装:negative",)),
    ("餐饮外卖", "配送费比菜还贵", "价格", ("价格:negative",)),
    ("电商", "衣服线头很多，做工粗糙", "产品功能", ("质量:negative",)),
    ("电商", "尺码偏小，平时穿L的这次XL都紧", "产品功能", ("尺码:negative",)),
    ("电商", "电池不耐用，半天就没电了", "产品功能", ("电池:negative",)),
    ("电商", "发货太慢，下单五天才发", "物流", ("物流:negative",)),
    ("电商", "客服态度很差，问两句就不回了", "服务质量", ("客服:negative",)),
    ("电商", "刚买三天就降价一百，也不给保价", "价格", ("价格:negative",)),
    ("电商", "实物颜色和图片差别太大", "产品功能", ("外观:negative",)),
    ("电商", "发错货了，我买的黑色发来白色", "服务质量", ()),
    ("电商", "电脑运行很卡，开个网页都要等", "产品功能", ("性能:negative",)),
    ("电商", "这本书内容空洞，全是凑字数", "产品功能", ("内容:negative",)),
    ("电商", "支付的时候只能用一种方式，很不方便", "其他", ()),
]
NEG_OPENERS = ("", "", "", "真的无语，", "说实话很失望，", "第二次了，", "不想多说，", "唉，", "气死了，", "本来挺期待的，")
NEG_CLOSERS = ("", "", "", "。", "，太失望了。", "，不会再来了。", "！", "，差评。", "，希望重视。", "😡", "，请尽快处理。")

# Praise fragments to build mixed texts ("X不错，但是Y") that land negative.
MIXED_PRAISE = (("环境还可以", "环境:positive"), ("价格倒是便宜", "价格:positive"), ("工作人员态度还行", "服务:positive"),
                ("东西本身没问题", ""), ("位置很方便", "位置:positive"), ("包装挺好的", "包装:positive"),
                ("界面挺好看的", "界面:positive"))

# Suggestions (urgency 建议): complaints phrased only as a wish, or ideas.
SUGGESTIONS: list[tuple[str, str, str, str | None, tuple[str, ...]]] = [
    # (industry, text, sentiment, problem type, aspects)
    ("银行", "希望能多开几个窗口，中午人太多了", "negative", "服务质量", ("服务:negative",)),
    ("银行", "建议手机银行增加夜间模式", "neutral", "界面/交互", ()),
    ("电信", "如果套餐能按月灵活调整就好了", "neutral", "价格", ()),
    ("电信", "希望营业厅周末也能延长营业时间", "neutral", "服务质量", ()),
    ("航空铁路", "希望高铁上能多设几个充电插座", "neutral", "产品功能", ("设施:negative",)),
    ("航空铁路", "建议航班延误时能主动推送消息", "neutral", "服务质量", ()),
    ("保险", "希望理赔进度能在小程序上实时查看", "neutral", "界面/交互", ()),
    ("教育", "建议课程能提供回放，方便复习", "neutral", "产品功能", ()),
    ("教育", "如果能小班授课就更好了", "neutral", "产品功能", ()),
    ("医疗", "希望医院能多安排几个导诊人员", "neutral", "服务质量", ()),
    ("医疗", "建议自助机加上语音提示，方便老人", "neutral", "界面/交互", ()),
    ("物业公用", "希望物业能在小区多装几个路灯", "neutral", "服务质量", ()),
    ("物业公用", "建议缴费能支持自动扣款", "neutral", "其他", ()),
    ("汽车", "希望保养能提供上门取送车服务", "neutral", "服务质量", ()),
    ("零售", "建议超市增加自助收银台", "neutral", "服务质量", ()),
    ("零售", "如果会员能有生日优惠就好了", "neutral", "价格", ()),
    ("应用软件", "希望能加一个批量删除的功能", "neutral", "产品功能", ()),
    ("应用软件", "建议把字体调大一点，老人看不清", "neutral", "界面/交互", ("界面:negative",)),
    ("应用软件", "要是能支持暗黑模式就好了", "neutral", "界面/交互", ()),
    ("快递", "希望快递能送货上门，不要总放驿站", "negative", "物流", ("物流:negative",)),
    ("快递", "建议派送前打个电话", "neutral", "物流", ()),
    ("酒店", "希望房间能提供更多的插座", "neutral", "产品功能", ("设施:negative",)),
    ("酒店", "建议早餐增加一些粗粮", "neutral", "产品功能", ()),
    ("餐饮外卖", "希望可以出小份的，一个人吃不完", "neutral", "产品功能", ()),
    ("餐饮外卖", "建议汤类用密封一点的盒子", "neutral", "物流", ("包装:negative",)),
    ("电商", "希望能多出几个颜色可以选", "positive", None, ("外观:positive",)),
    ("电商", "东西挺好，要是能再便宜点就更好了", "positive", "价格", ("价格:negative",)),
]

INDUSTRY_OPENERS: dict[str, tuple[str, ...]] = {
    "银行": ("在你们银行网点办业务，", "上周去支行，", "用你们的手机银行，", ""),
    "电信": ("在营业厅办业务时，", "用了你们的宽带之后，", "", "换了你们的套餐，"),
    "航空铁路": ("这次坐你们的航班，", "坐高铁出差的时候，", "", "乘坐你们的列车，"),
    "保险": ("买了你们的保险后，", "", "找你们理赔时，"),
    "教育": ("孩子在你们机构上课，", "", "报了你们的课程之后，"),
    "医疗": ("在你们医院就诊时，", "", "去药店买药时，", "住院期间，"),
    "物业公用": ("住在这个小区两年了，", "", "物业这边，"),
    "汽车": ("在你们4S店，", "", "买了你们的车以后，"),
    "零售": ("在你们超市，", "", "在商场的门店里，"),
    "应用软件": ("用你们的app时，", "", "最近升级之后，"),
    "快递": ("寄了个快递，", "", "这次收快递，"),
    "酒店": ("入住你们酒店，", "", "这次出差住在这里，"),
    "餐饮外卖": ("点了这家的外卖，", "", "今天中午订餐，", "在店里堂食，"),
    "电商": ("在你们店里买的，", "", "网上下单后，"),
}
SAFETY_CLOSERS = ("", "", "。", "，太吓人了。", "，你们必须给个说法。", "，现在想想还后怕。", "！！", "，请马上处理。",
                  "，这是要出人命的。", "，希望彻查。", "，已经拍照留证了。")


def _compose(rng: random.Random, *parts: str) -> str:
    text = "".join(p for p in parts if p)
    return text.replace("，，", "，").replace("，。", "。").replace("。。", "。")


def written_texts(seed: int = 18) -> Iterator[Row]:
    """Every written text, composed from the banks above with a fixed seed."""
    rng = random.Random(seed)
    # Safety cases: each base case in several contexts.
    for industry, event, cls, ptype, aspects in SAFETY:
        variants = {event}
        for _ in range(6):
            opener = rng.choice(INDUSTRY_OPENERS.get(industry, ("",)))
            variants.add(_compose(rng, opener, event, rng.choice(SAFETY_CLOSERS)))
        for text in sorted(variants):
            yield Row(text, industry, "negative", ptype, "紧急", cls, aspects)
    # Escalation threats after ordinary complaints.
    for industry, complaint, ptype, aspects in THREAT_COMPLAINTS:
        for threats, cls in ((LEGAL_THREATS, "legal_threat"), (MEDIA_THREATS, "media_threat")):
            for threat in rng.sample(threats, 4):
                opener = rng.choice(INDUSTRY_OPENERS.get(industry, ("",)))
                yield Row(_compose(rng, opener, complaint, "，", threat, "。"), industry, "negative", ptype, "紧急",
                          cls, aspects)
        # and the same complaint without a threat: 一般
        yield Row(_compose(rng, complaint, rng.choice(NEG_CLOSERS)), industry, "negative", ptype, "一般", None, aspects)
    for industry, text, sentiment, ptype, urg, aspects in HARD_NEGATIVES:
        yield Row(text, industry, sentiment, ptype, urg, None, aspects)
        yield Row(_compose(rng, rng.choice(("说真的，", "哈哈，", "")), text, rng.choice(("", "。", "！"))), industry,
                  sentiment, ptype, urg, None, aspects)
    for industry, text, aspects in PRAISE:
        seen = set()
        for _ in range(4):
            t = _compose(rng, rng.choice(PRAISE_OPENERS), text, rng.choice(PRAISE_CLOSERS))
            if t not in seen:
                seen.add(t)
                yield Row(t, industry, "positive", None, "建议", None, aspects)
    for industry, text in NEUTRAL:
        yield Row(text, industry, "neutral", None, "一般", None, ())
    for industry, text, ptype, aspects in COMPLAINTS:
        seen = set()
        for _ in range(4):
            t = _compose(rng, rng.choice(NEG_OPENERS), text, rng.choice(NEG_CLOSERS))
            if t not in seen:
                seen.add(t)
                yield Row(t, industry, "negative", ptype, "一般", None, aspects)
        praise, praised = rng.choice(MIXED_PRAISE)
        both = tuple(a for a in (praised,) if a and a.split(":")[0] not in {x.split(":")[0] for x in aspects})
        yield Row(_compose(rng, praise, "，但是", text, "。"), industry, "negative", ptype, "一般", None,
                  both + aspects)
    for industry, text, sentiment, ptype, aspects in SUGGESTIONS:
        yield Row(text, industry, sentiment, ptype, "建议", None, aspects)
        yield Row(_compose(rng, rng.choice(INDUSTRY_OPENERS.get(industry, ("",))), text, "。"), industry, sentiment,
                  ptype, "建议", None, aspects)
    more = random.Random(seed + 1)
    for industry, text, aspects in PRAISE_MORE:
        seen = set()
        for _ in range(4):
            t = _compose(more, more.choice(PRAISE_OPENERS), text, more.choice(PRAISE_CLOSERS))
            if t not in seen:
                seen.add(t)
                yield Row(t, industry, "positive", None, "建议", None, aspects)
    for industry, text in NEUTRAL_MORE:
        yield Row(text, industry, "neutral", None, "一般", None, ())
