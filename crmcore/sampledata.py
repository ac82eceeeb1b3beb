"""Seeded, realistic Chinese key-account data for ``crm demo``, plugin demos and benchmarks.

Pure Python (stdlib, python-stdnum, and pypinyin only for e-mail addresses) with no I/O and no
imports from the rest of crmcore, so benchmarks can generate millions of rows without a database.

Everything comes from ``random.Random`` instances owned by one :class:`SampleData`, one stream
per kind of record, so a seed reproduces the same companies whether or not contacts or logs were
drawn in between. Identifiers are *valid* (check characters per GB 32100, GB 11714, GB 11643)
because the domain layer validates them, and company names and credit codes are unique by
construction (a keyed permutation of the name space, affine maps of organisation codes) rather
than by remembering what was issued, which would cost memory at a million rows.
"""

from __future__ import annotations

import bisect
import zlib
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from stdnum.cn import ric

__all__ = [
    "CITIES",
    "FREE_MAIL_DOMAINS",
    "INDUSTRIES",
    "City",
    "District",
    "SampleData",
    "org_check_char",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _w(text: str) -> tuple[str, ...]:
    """Split a space-separated word list (compact to write, a tuple to use)."""
    return tuple(text.split())


# -- places ------------------------------------------------------------------------------------
# province|full province name|city|area code|postcode prefix|districts, indented lines continue
# the districts. A district is its name and GB/T 2260 code; "@yy" is the first birth year for
# which python-stdnum's ID-number database accepts the code (it knows most districts only from
# their 1983 codes on); unmarked codes are accepted for any year.
_CITY_TEXT = """
北京|北京市|北京|010|100|东城区110101 西城区110102 朝阳区110105
  丰台区110106 海淀区110108 石景山区110107
上海|上海市|上海|021|200|黄浦区310101 徐汇区310104 长宁区310105 静安区310106
  普陀区310107 闵行区310112@81 浦东新区310115@92
天津|天津市|天津|022|300|和平区120101 河西区120103 南开区120104 河北区120105
  滨海新区120116@09
重庆|重庆市|重庆|023|400|渝中区500103@97 沙坪坝区500106@97 九龙坡区500107@97
  南岸区500108@97
广东|广东省|广州|020|510|荔湾区440103@83 越秀区440104@83 海珠区440105@83
  天河区440106@85 白云区440111@83 黄埔区440112@83 番禺区440113@00
广东|广东省|深圳|0755|518|罗湖区440303@83 福田区440304@83 南山区440305@83
  宝安区440306@92 龙岗区440307@92
广东|广东省|东莞|0769|523|南城街道441900@88 东城街道441900@88 莞城街道441900@88
  长安镇441900@88 虎门镇441900@88
广东|广东省|佛山|0757|528|禅城区440604@02 南海区440605@02 顺德区440606@02
浙江|浙江省|杭州|0571|310|上城区330102@83 拱墅区330105@83 西湖区330106@83
  滨江区330108@96 萧山区330109@01
浙江|浙江省|宁波|0574|315|海曙区330203@83 江北区330205@83 北仑区330206@85
  鄞州区330212@02
浙江|浙江省|温州|0577|325|鹿城区330302@83 龙湾区330303@84 瓯海区330304@92
江苏|江苏省|南京|025|210|玄武区320102@83 秦淮区320104@83 建邺区320105@83
  鼓楼区320106@83 江宁区320115@00
江苏|江苏省|苏州|0512|215|虎丘区320505@00 吴中区320506@00 相城区320507@00
  姑苏区320508@12 吴江区320509@12
江苏|江苏省|无锡|0510|214|锡山区320205@00 惠山区320206@00 滨湖区320211@83
  梁溪区320213@15 新吴区320214@15
湖北|湖北省|武汉|027|430|江岸区420102@83 江汉区420103@83 汉阳区420105@83
  武昌区420106@83 洪山区420111@83
四川|四川省|成都|028|610|锦江区510104@90 青羊区510105@90 金牛区510106@90
  武侯区510107@90 成华区510108@90
陕西|陕西省|西安|029|710|新城区610102@83 碑林区610103@83 莲湖区610104@83
  未央区610112@83 雁塔区610113@83
辽宁|辽宁省|沈阳|024|110|和平区210102@83 沈河区210103@83 皇姑区210105@83
  铁西区210106@83 浑南区210112@83
辽宁|辽宁省|大连|0411|116|中山区210202@83 西岗区210203@83 沙河口区210204@83
  甘井子区210211@83
山东|山东省|济南|0531|250|历下区370102@83 市中区370103@83 槐荫区370104@83
  天桥区370105@83 历城区370112@87
山东|山东省|青岛|0532|266|市南区370202@83 市北区370203@83 黄岛区370211@83
  崂山区370212@88 李沧区370213@94
河南|河南省|郑州|0371|450|中原区410102@83 二七区410103@83 金水区410105@83
  惠济区410108@87
湖南|湖南省|长沙|0731|410|芙蓉区430102@83 天心区430103@83 岳麓区430104@83
  开福区430105@83 雨花区430111@83
安徽|安徽省|合肥|0551|230|瑶海区340102@83 庐阳区340103@83 蜀山区340104@83
  包河区340111@83
福建|福建省|福州|0591|350|鼓楼区350102@83 台江区350103@83 仓山区350104@83
  晋安区350111@83
福建|福建省|厦门|0592|361|思明区350203@83 海沧区350205@83 湖里区350206@87
  集美区350211@83
云南|云南省|昆明|0871|650|五华区530102@83 盘龙区530103@83 官渡区530111@83
  西山区530112@83
广西|广西壮族自治区|南宁|0771|530|兴宁区450102@83 青秀区450103@83
  江南区450105@83 西乡塘区450107@04
黑龙江|黑龙江省|哈尔滨|0451|150|道里区230102@83 南岗区230103@83
  道外区230104@83 香坊区230110@06
吉林|吉林省|长春|0431|130|南关区220102@83 宽城区220103@83 朝阳区220104@83
  二道区220105@83 绿园区220106@95
河北|河北省|石家庄|0311|050|长安区130102@83 桥西区130104@83 新华区130105@83
  裕华区130108@01
山西|山西省|太原|0351|030|小店区140105@97 迎泽区140106@97 杏花岭区140107@97
  万柏林区140109@97
江西|江西省|南昌|0791|330|东湖区360102@83 西湖区360103@83 青云谱区360104@83
  青山湖区360111@83
贵州|贵州省|贵阳|0851|550|南明区520102@83 云岩区520103@83 花溪区520111@83
  观山湖区520115@12
甘肃|甘肃省|兰州|0931|730|城关区620102@83 七里河区620103@83 西固区620104@83
  安宁区620105@83
新疆|新疆维吾尔自治区|乌鲁木齐|0991|830|天山区650102@83 沙依巴克区650103@83
  新市区650104@83 水磨沟区650105@83
内蒙古|内蒙古自治区|呼和浩特|0471|010|新城区150102@83 回民区150103@83
  玉泉区150104@83 赛罕区150105@83
海南|海南省|海口|0898|570|秀英区460105@02 龙华区460106@02 琼山区460107@02
  美兰区460108@02
宁夏|宁夏回族自治区|银川|0951|750|兴庆区640104@02 西夏区640105@02
  金凤区640106@02
青海|青海省|西宁|0971|810|城东区630102@83 城中区630103@83 城西区630104@83
  城北区630105@86
"""
# Birthplaces the ID-number database accepts for any birth year: old districts and counties.
_ALWAYS_VALID_AREAS = _w(
    "110101 110102 110105 110106 110107 110108 110109 120101 120102 120103 120104 120105 "
    "120106 310101 310104 310105 310106 310107 310109 310110 140121 150122 210321 222401 "
    "330122 330127 340121 340621 350121 360121 422822 430121 430321 433123 510121 510321 "
    "522701 530124 610323 620123 640122 650121 540121"
)


class District(NamedTuple):
    name: str  # 天河区
    short: str  # 天河 (as in branch names)
    code: str  # GB/T 2260 code
    id_from: int  # first birth year stdnum.cn.ric accepts this code for (0: any)


class City(NamedTuple):
    """A city with what must agree within one record: codes, area code and postcode."""

    province: str  # 广东 (short form, as in ``region``)
    province_full: str  # 广东省 (as written in addresses)
    name: str  # 广州
    area_code: str  # 020
    postcode_prefix: str  # 510
    districts: tuple[District, ...]

    @property
    def region(self) -> str:
        return f"{self.province}/{self.name}"

    @property
    def municipality(self) -> bool:
        return self.province == self.name


def _short_district(name: str) -> str:
    for suffix in ("新区", "街道", "区", "镇"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _parse_cities() -> tuple[City, ...]:
    rows: list[str] = []
    for line in _CITY_TEXT.strip().splitlines():
        if line.startswith(" "):
            rows[-1] += " " + line.strip()
        else:
            rows.append(line)
    cities = []
    for row in rows:
        province, full, name, area, postcode, districts = row.split("|")
        parsed = []
        for item in districts.split():
            text, _, since = item.partition("@")
            year = 0 if not since else (1900 if int(since) >= 80 else 2000) + int(since)
            parsed.append(District(text[:-6], _short_district(text[:-6]), text[-6:], year))
        cities.append(City(province, full, name, area, postcode, tuple(parsed)))
    return tuple(cities)


CITIES: tuple[City, ...] = _parse_cities()
_PROVINCES = tuple(dict.fromkeys(c.province for c in CITIES if not c.municipality))

# -- industries (GB/T 4754-2017 sections) ------------------------------------------------------
# "=section", then: word in the company name, ASCII abbreviation for e-mail domains, core 经营范围.
_INDUSTRY_TEXT = """
=制造业
电子科技 elec 电子产品、电子元器件的研发、生产和销售
精密机械 precision 精密机械零部件的设计、加工和销售
机械制造 mach 通用机械设备及配件的制造、销售
化工 chem 化工产品（不含危险化学品）的生产和销售
新材料 material 高分子材料、复合材料的研发、生产和销售
汽车零部件 autoparts 汽车零部件及配件的制造、销售
电气 electric 输配电及控制设备、电线电缆的制造和销售
制药 pharm 化学药品制剂、中成药的生产和销售
食品 food 预包装食品、饮料的生产和销售
纺织 textile 纺织品、针织品的生产、加工和销售
服饰 apparel 服装、服饰的设计、加工和销售
家具 furniture 办公家具、民用家具的设计、制造和销售
塑胶制品 plastic 塑料制品、橡胶制品的生产和销售
五金制品 hardware 五金工具、金属制品的加工和销售
光电 opto LED照明产品、光电器件的研发、生产和销售
仪器仪表 instrument 工业自动化仪表、分析仪器的制造和销售
钢铁 steel 黑色金属冶炼和压延加工；钢材销售
建材 bm 水泥制品、混凝土预制构件的生产和销售
包装 pack 纸制品、包装材料的设计、生产和销售
电器 appliance 家用电器、厨房电器的制造和销售
半导体 semi 集成电路、半导体分立器件的设计、制造和销售
新能源科技 newenergy 锂离子电池、储能系统的研发、生产和销售
生物科技 bio 生物制品、生物试剂的研发和销售
印务 print 包装装潢印刷品、其他印刷品的印刷
重工 heavy 工程机械、重型装备的制造、安装和维修
阀门 valve 工业阀门、管件的制造和销售
智能装备 smart 工业机器人、智能装备的研发、制造和销售
医疗器械 medical 第二类医疗器械的生产和销售
=批发和零售业
贸易 trade 日用百货、五金交电、建筑材料的批发和零售
商贸 trading 机电产品、化工产品（不含危险化学品）的销售
进出口 imex 货物进出口、技术进出口
供应链管理 scm 供应链管理服务；国内贸易代理
百货 store 日用百货、针纺织品、家用电器的零售
医药 pharmacy 药品批发、零售；第二类医疗器械经营
电子商务 ecom 互联网销售（除销售需要许可的商品）
物资 supply 金属材料、机电设备、煤炭（不在储存场所经营）的销售
汽车销售 auto 汽车新车销售、二手车经销；汽车零配件零售
=电力、热力、燃气及水生产和供应业
电力 power 电力供应；发电、输电、供电业务
能源 energy 热力生产和供应；合同能源管理
燃气 gas 城镇燃气经营；燃气设施的安装和维修
热力 heat 热力生产和供应；供热管网的建设和运营
水务 water 自来水生产与供应；污水处理及其再生利用
新能源发电 greenpower 太阳能发电、风力发电技术服务；发电业务
清洁能源 cleanenergy 生物质能、天然气分布式能源的开发和利用
=建筑业
建设工程 build 房屋建筑工程、市政公用工程施工
建筑工程 construct 建设工程施工；建筑劳务分包
路桥工程 roadbridge 公路工程、桥梁工程施工
装饰工程 decor 建筑装饰装修工程设计与施工
市政工程 municipal 市政道路、给排水管网工程施工
机电安装 install 机电设备安装工程、消防设施工程施工
钢结构 steelstruct 钢结构工程的设计、制作和安装
=交通运输、仓储和邮政业
物流 logistics 普通货物道路运输；仓储服务（不含危险化学品）
运输 transport 道路货物运输；货物装卸搬运
货运代理 freight 国际货物运输代理；国内货物运输代理
仓储 warehouse 普通货物仓储服务；供应链管理服务
航运 shipping 国内水路货物运输；船舶租赁
快递 express 快递服务；同城配送
冷链物流 coldchain 冷藏车道路运输；低温仓储服务
=信息传输、软件和信息技术服务业
信息技术 it 信息系统集成服务；信息技术咨询服务
软件 soft 软件开发；软件销售；信息技术咨询服务
网络科技 net 网络技术服务；互联网数据服务
数据科技 data 数据处理和存储支持服务；大数据服务
通信技术 comm 通信设备销售；通信工程施工；5G通信技术服务
智能科技 ai 人工智能应用软件开发；智能控制系统集成
数字科技 digital 数字技术服务；数字内容制作服务
=金融业
投资 invest 以自有资金从事投资活动；投资管理
融资租赁 leasing 融资租赁业务；租赁财产的残值处理及维修
小额贷款 loan 发放小额贷款；提供小企业管理咨询
保险代理 insure 保险代理业务（凭许可证经营）
资产管理 am 资产管理；股权投资（不得从事公开募集基金管理业务）
商业保理 factoring 商业保理业务；应收账款管理
融资担保 guarantee 贷款担保、票据承兑担保、贸易融资担保
=房地产业
房地产开发 realestate 房地产开发经营；房屋租赁
置业 property 房地产开发经营；物业管理；停车场服务
地产 land 房地产开发；房地产营销策划
物业管理 pm 物业管理；停车场服务；家政服务
房地产经纪 realty 房地产经纪；房地产咨询；住房租赁
=采矿业
矿业 mining 金属矿石开采；矿产资源勘查
煤业 coal 煤炭开采；煤炭洗选；煤炭及制品销售
矿产资源 minerals 非金属矿采选；矿产品销售
石油工程 petroeng 陆地石油和天然气开采服务；油田技术服务
=住宿和餐饮业
酒店管理 hotel 住宿服务；餐饮服务；酒店管理
餐饮管理 catering 餐饮服务；餐饮管理；食品销售
=租赁和商务服务业
企业管理咨询 consult 企业管理咨询；商务信息咨询
人力资源 hr 人力资源服务；劳务派遣服务
广告 ad 设计、制作、代理、发布国内各类广告
会展服务 expo 会议及展览服务；礼仪服务
设备租赁 rental 机械设备租赁；建筑工程机械与设备租赁
=科学研究和技术服务业
检测技术 testing 检验检测服务；计量服务
工程设计 design 建设工程设计；工程技术服务
环境技术 envtech 环境保护监测；环保技术咨询、技术服务
工程咨询 engconsult 工程造价咨询；工程管理服务
=水利、环境和公共设施管理业
环保科技 eco 固体废物治理；大气污染治理；水污染治理
园林绿化 garden 园林绿化工程施工；城市绿化管理
环境工程 enveng 环境卫生公共设施安装服务；生活垃圾处理
=农、林、牧、渔业
农业科技 agri 农作物种植；农业技术推广服务
农业发展 agridev 蔬菜、水果种植及销售；农产品初加工
畜牧 livestock 牲畜饲养；畜禽收购；饲料销售
水产 aqua 水产养殖；水产品收购和销售
林业 forestry 林木育苗；造林和更新；木材采运
=文化、体育和娱乐业
文化传媒 media 组织文化艺术交流活动；影视策划；广告制作
影视 film 广播电视节目制作经营；电影摄制服务
文化传播 culture 文化艺术交流策划；会议及展览服务
体育发展 sports 体育竞赛组织；体育场地设施经营
"""
# Common second halves of a 经营范围, by section.
_SCOPE_EXTRAS = {
    "制造业": "货物进出口|技术进出口|技术开发、技术咨询、技术服务|机械设备租赁",
    "批发和零售业": "货物进出口|国内贸易代理|仓储服务（不含危险化学品）",
    "电力、热力、燃气及水生产和供应业": "节能技术推广服务|工程管理服务|合同能源管理",
    "建筑业": "工程管理服务|建筑材料销售|劳务服务（不含劳务派遣）",
    "交通运输、仓储和邮政业": "装卸搬运|信息咨询服务（不含许可类信息咨询服务）|汽车租赁",
    "信息传输、软件和信息技术服务业": "计算机软硬件及辅助设备零售|技术开发、技术咨询、技术服务",
    "金融业": "财务咨询|企业管理咨询",
    "房地产业": "房屋租赁|建筑材料销售|停车场服务",
    "采矿业": "矿山机械销售|矿产品销售",
    "住宿和餐饮业": "会议及展览服务|食品销售（仅销售预包装食品）",
    "租赁和商务服务业": "信息咨询服务（不含许可类信息咨询服务）|市场营销策划",
    "科学研究和技术服务业": "技术开发、技术咨询、技术服务|标准化服务",
    "水利、环境和公共设施管理业": "环保设备销售|工程管理服务",
    "农、林、牧、渔业": "农产品销售|农业机械服务",
    "文化、体育和娱乐业": "会议及展览服务|文艺创作",
}
_SCOPE_TAIL = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"


class _Word(NamedTuple):
    text: str
    abbr: str
    scope: str
    industry: str


def _parse_words() -> tuple[_Word, ...]:
    words, industry = [], ""
    for line in _INDUSTRY_TEXT.strip().splitlines():
        if line.startswith("="):
            industry = line[1:]
        else:
            text, abbr, scope = line.split()
            words.append(_Word(text, abbr, scope, industry))
    return tuple(words)


_WORDS = _parse_words()
INDUSTRIES: tuple[str, ...] = tuple(dict.fromkeys(w.industry for w in _WORDS))
_WORD_BY_TEXT = {w.text: w for w in _WORDS}

# 字号 (trade names) are two characters from this pool; 国/市/省/区 are left out so that a name
# splits back into place + 字号 + industry word + form in exactly one way.
_ZIHAO_CHARS = (
    "恒达华兴盛泰鑫隆昌宏源德信瑞祥福康安永丰金利海天宇中新诚嘉鸿"
    "富辉明佳凯联通力远博腾飞创汇锦荣顺晟众亿航展立合"
)
# (kind, 组织形式, 1/share of the 字号 pairs used, places): kind 0 "广州恒达…", 1 "广州市恒达…",
# 2 "恒达…（广州）…", 3 "广东恒达…". Distinct (kind, form) pairs never yield the same string.
_BANDS = (
    (0, "有限公司", 1, "city"),
    (1, "有限公司", 1, "city"),
    (2, "有限公司", 4, "city"),
    (3, "有限公司", 4, "province"),
    (0, "股份有限公司", 6, "city"),
    (0, "有限责任公司", 8, "city"),
    (0, "集团有限公司", 10, "city"),
    (3, "集团有限公司", 12, "province"),
    (3, "股份有限公司", 12, "province"),
)
_FORMS = ("集团有限公司", "股份有限公司", "有限责任公司", "有限公司")  # longest first

# Well-known state-owned (and a few famous) branch names, one entry per two lines:
# template|template in the four municipalities (- : same)|section|mail domain|provinces,
# then the core 经营范围. {p} province, {ps} province as in 国网 names, {c} city, {d} district,
# {cp} city pinyin; provinces "+a b": only these, "-a b": all but these, empty: all.
_SOE_TEXT = """
中国电信股份有限公司{c}分公司|-|信息传输、软件和信息技术服务业|chinatelecom.cn|
  基础电信业务；增值电信业务；通信设施建设和维护
中国移动通信集团{p}有限公司{c}分公司|中国移动通信集团{p}有限公司{d}分公司|信息传输、软件和信息技术服务业|chinamobile.com|
  移动通信业务；互联网接入服务；通信设备销售
中国联合网络通信有限公司{c}市分公司|-|信息传输、软件和信息技术服务业|chinaunicom.cn|
  基础电信业务；互联网数据中心业务；通信设备销售
中国铁塔股份有限公司{c}市分公司|-|信息传输、软件和信息技术服务业|chinatowercom.cn|
  通信铁塔及配套设施的建设、维护和运营
中国工商银行股份有限公司{c}{d}支行|-|金融业|icbc.com.cn|
  吸收公众存款；发放短期、中期和长期贷款；办理国内外结算
中国建设银行股份有限公司{c}{d}支行|-|金融业|ccb.com|
  吸收公众存款；发放短期、中期和长期贷款；办理国内外结算
中国农业银行股份有限公司{c}{d}支行|-|金融业|abchina.com|
  吸收公众存款；发放短期、中期和长期贷款；办理国内外结算
中国银行股份有限公司{c}{d}支行|-|金融业|bankofchina.com|
  吸收公众存款；发放短期、中期和长期贷款；办理国内外结算
交通银行股份有限公司{c}{d}支行|-|金融业|bankcomm.com|
  吸收公众存款；发放短期、中期和长期贷款；办理国内外结算
中国人民财产保险股份有限公司{c}市分公司|-|金融业|picc.com.cn|
  机动车辆保险、企业财产保险、责任保险等财产保险业务
中国人寿保险股份有限公司{c}分公司|-|金融业|e-chinalife.com|
  人寿保险、健康保险、意外伤害保险等人身保险业务
中国平安财产保险股份有限公司{c}分公司|-|金融业|pingan.com.cn|
  财产损失保险、责任保险、信用保险等财产保险业务
国网{ps}电力有限公司{c}供电公司|国网{p}市电力公司{d}供电公司|电力、热力、燃气及水生产和供应业|sgcc.com.cn|-广东 广西 云南 贵州 海南 内蒙古
  电力供应；输电、配电业务；承装、承修、承试电力设施
{p}电网有限责任公司{c}供电局|-|电力、热力、燃气及水生产和供应业|csg.cn|+广东 广西 云南 贵州 海南
  电力供应；输电、配电业务；承装、承修、承试电力设施
中国石化销售股份有限公司{p}{c}石油分公司|中国石化销售股份有限公司{p}石油分公司|批发和零售业|sinopec.com|
  成品油零售；润滑油、燃料油销售；便利店经营
中国石油天然气股份有限公司{p}{c}销售分公司|中国石油天然气股份有限公司{p}销售分公司|批发和零售业|petrochina.com.cn|
  成品油零售；润滑油销售；天然气销售
中国邮政集团有限公司{c}市分公司|-|交通运输、仓储和邮政业|chinapost.com.cn|
  邮政基本服务；快递服务；报刊发行
中国建筑第八工程局有限公司{c}分公司|-|建筑业|cscec.com|
  房屋建筑工程施工总承包；市政公用工程施工
中铁建工集团有限公司{c}分公司|-|建筑业|crcc.cn|
  房屋建筑工程、铁路站房工程施工
国药控股{c}有限公司|-|批发和零售业|sinopharm.com|
  药品批发；医疗器械经营；医药咨询服务
招商局物流集团{c}有限公司|-|交通运输、仓储和邮政业|cmlog.com|
  普通货物道路运输；仓储服务；国际货物运输代理
{c}水务集团有限公司|-|电力、热力、燃气及水生产和供应业|{cp}water.com.cn|
  自来水生产与供应；污水处理及其再生利用
{c}燃气集团有限公司|-|电力、热力、燃气及水生产和供应业|{cp}gas.com.cn|
  城镇燃气经营；燃气设施的安装和维修
{c}地铁集团有限公司|-|交通运输、仓储和邮政业|{cp}metro.com.cn|
  城市轨道交通的建设、运营和管理
{c}城市建设投资集团有限公司|-|租赁和商务服务业|{cp}ctjt.com.cn|
  城市基础设施投资、建设和运营；土地整理
{c}公共交通集团有限公司|-|交通运输、仓储和邮政业|{cp}bus.com.cn|
  城市公共汽电车客运；汽车维修
"""


class _Soe(NamedTuple):
    template: str
    muni_template: str
    industry: str
    domain: str
    provinces: str
    scope: str
    marker: str  # the fixed text that identifies the name


def _parse_soe() -> tuple[_Soe, ...]:
    lines = _SOE_TEXT.strip().splitlines()
    out = []
    for head, scope in zip(lines[::2], lines[1::2], strict=True):
        tpl, muni, industry, domain, provinces = head.split("|")
        marker = tpl.rsplit("}", 1)[-1] if tpl.startswith("{") else tpl.split("{", 1)[0]
        out.append(_Soe(tpl, tpl if muni == "-" else muni, industry, domain, provinces,
                        scope.strip(), marker))  # fmt: skip
    return tuple(out)


_SOE = _parse_soe()

# -- people ------------------------------------------------------------------------------------
# Surnames with rough frequencies per 10,000, after the 2020 household-register statistics.
_SURNAMES = _w(
    "王710 李710 张670 刘540 陈450 杨310 黄220 赵200 吴200 周190 徐150 孙150 马130 朱130 "
    "胡120 郭120 何120 高110 林110 罗100 郑100 梁90 谢80 宋80 唐80 许70 韩70 冯70 邓70 曹70 "
    "彭60 曾60 肖60 田60 董50 袁50 潘50 于50 蒋50 蔡50 余50 杜50 叶50 程50 苏40 魏40 吕40 "
    "丁40 任40 沈40 姚40 卢40 姜40 崔40 钟40 谭30 陆30 汪30 范30 金30 石30 廖30 贾30 夏30 "
    "韦30 付30 方30 白30 邹30 孟30 熊30 秦30 邱30 江30 尹30 薛20 闫20 段20 雷20 侯20 龙20 "
    "史20 陶20 黎20 贺20 顾20 毛20 郝20 龚20 邵20 万20 钱20 严20 武20 戴20 莫20 孔20 向20 "
    "汤20 欧阳4 司马1 诸葛1 上官1"
)
_MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳"
    "建国志文海东峰亮成春晨博振永德立新荣清毅诚雄彬兵瑞晓力"
)
_FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲桂英红燕萍婷雪慧琳洁颖倩晶欣梅兰琴云莉丹蕾璐瑶怡佳月露雯婧思悦晓小淑文"
)
# pypinyin reads these surnames as their common-word pronunciation.
_SURNAME_PINYIN = {"曾": "zeng", "单": "shan", "解": "xie", "查": "zha", "区": "ou", "仇": "qiu"}


def _lookup_table(pairs: list[tuple[Any, int]], size: int = 4096) -> tuple[Any, ...]:
    """Index this with ``int(random() * len(table))`` instead of calling ``Random.choices``."""
    total = sum(w for _, w in pairs)
    cum, acc = [], 0
    for _, w in pairs:
        acc += w
        cum.append(acc / total)
    last = len(pairs) - 1
    slots = (bisect.bisect_right(cum, (i + 0.5) / size) for i in range(size))
    return tuple(pairs[min(slot, last)][0] for slot in slots)


def _weighted(words: tuple[str, ...]) -> list[tuple[str, int]]:
    """("王710", …) -> [("王", 710), …]."""
    out = []
    for item in words:
        name = item.rstrip("0123456789")
        out.append((name, int(item[len(name) :])))
    return out


_SURNAME_TABLE = _lookup_table(_weighted(_SURNAMES), 1 << 15)
_SURNAME_N = len(_SURNAME_TABLE)
_COMPOUND_SURNAMES = frozenset(s for s in _SURNAME_TABLE if len(s) > 1)

_POSITIONS = _lookup_table(
    _weighted(_w(
        "董事长4 总经理8 副总经理10 财务总监6 总工程师4 采购部经理14 采购专员8 设备部部长7 "
        "物资供应部主任5 技术总监5 财务部经理7 办公室主任7 生产部经理6 项目经理6 信息中心主任3"
    )),
    1024,
)  # fmt: skip
_UNIQUE_POSITIONS = frozenset(_w("董事长 总经理 财务总监 总工程师 技术总监"))
_AGE_RANGE = {  # others: 28-52
    "董事长": (45, 66), "总经理": (38, 60), "副总经理": (36, 58), "财务总监": (35, 56),
    "总工程师": (40, 60), "采购专员": (24, 36),
}  # fmt: skip
_EDUCATION = _lookup_table(_weighted(_w("本科45 硕士20 大专14 MBA8 EMBA5 博士4 中专4")), 256)
_CHARACTER = _w(
    "沉稳务实 性格直爽 谨慎细致 健谈外向 注重细节 强势果断 温和低调 讲原则 重感情、讲义气 "
    "精明干练 不苟言笑 雷厉风行"
)
_INTERESTS = _w(
    "高尔夫 钓鱼 书法 品茶 羽毛球 摄影 登山 围棋 乒乓球 跑步 收藏紫砂壶 自驾游 读历史书籍 "
    "篮球 太极拳 葡萄酒"
)
_BACKGROUND = _w(
    "技术出身，从一线工程师做起 财务专业出身 部队转业 曾在国企任职多年 海外留学归来 "
    "从销售岗位晋升 本地人，人脉广 由集团总部派驻 曾在竞争对手处任职 公司创始人之一 "
    "高校毕业即入职本公司"
)
_FAMILY = _w(
    "已婚，一子在读大学 已婚，女儿上初中 未婚 已婚，爱人在银行工作 二孩家庭 已婚，孩子在海外留学"
)
_NOTES = _w(
    "项目决策关键人 对价格较敏感 倾向于长期合作 周三下午方便联系 与我司高层熟识 "
    "对售后服务要求高 新上任，需重点维护 负责年度招标 曾对交货期提出投诉 微信沟通更及时 "
    "不喜欢电话推销"
)
_DEPARTMENTS = _w("采购部 设备部 物资供应部 工程部 技术部 生产部 财务部 行政部 信息中心 基建办公室")
FREE_MAIL_DOMAINS = _w("163.com 126.com qq.com sina.com 139.com foxmail.com")
_MOBILE_PREFIXES = _w(
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 170 173 175 "
    "176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
)

# -- addresses and company profiles ------------------------------------------------------------
_ROADS = _w(
    "中山 人民 解放 建设 和平 新华 胜利 长江 黄河 东风 友谊 文化 工业 科技 创业 高新 青年 "
    "光明 幸福 金融 滨江 迎宾 学府 环城 兴业 发展 振兴 团结 太平 江南"
)
_ROAD_SUFFIXES = _w("路 大道 街 东路 西路 南路 北路 中路 一路 二路 三路")
_BUILDINGS = _w(
    "国际大厦 金融中心 商务中心 科技大厦 财富广场 国贸中心 创新大厦 时代广场 发展大厦 "
    "世纪大厦 环球中心 中心大厦"
)
_SALES = {
    "large": _w("年销售额超50亿元 年营收约120亿元 年销售额约30亿元 年营收逾百亿元"),
    "medium": _w("年销售额约5亿元 年营收3亿元左右 年销售额约8亿元 年营收约2亿元"),
    "small": _w("年销售额约8000万元 年营收5000万元左右 年销售额约1.2亿元"),
    "micro": _w("年销售额不足1000万元 年营收约500万元 年销售额约2000万元"),
}
_POTENTIAL = _w(
    "增长迅速 平稳 较大 一般 新产线投产后需求将翻番 受行业政策影响，存在不确定性 有上市计划 "
    "正在拓展海外市场"
)
_MODEL = _w(
    "以直销为主 经销商代理模式 OEM代工 项目制 自营+加盟 线上线下结合 集中采购、分散使用 "
    "总部统一招标"
)
_STANDING = {
    "large": _w("行业龙头 区域领先 省内前列 地方重点国企 全国前十"),
    "medium": _w("区域领先 细分市场前三 行业中游 省内前列 国家级专精特新企业"),
    "small": _w("行业中游 细分市场有一定口碑 本地配套企业 省级专精特新企业"),
    "micro": _w("新进入者 本地配套企业 行业中下游"),
}

# -- contact logs ------------------------------------------------------------------------------
_CHANNELS = _lookup_table(_weighted(_w("phone34 visit26 email22 meeting12 fax3 letter3")), 1000)
_SUMMARIES = {
    "visit": (
        "上门拜访{t}，沟通下一年度采购计划，客户预计用量较上年增长{pct}%",
        "拜访客户{dept}，了解新产线设备选型需求，对方倾向于国产替代方案",
        "陪同公司领导拜访{t}，双方就战略合作框架协议达成初步意向",
        "走访客户使用现场，收集产品使用反馈，整体评价良好",
        "到客户财务部对账，确认截至{q}末应收账款{a}万元",
        "拜访{t}，催收{q}货款{a}万元，对方承诺月底前支付",
        "拜访{t}，沟通年度用量，预计全年采购约{a}万元",
        "上门处理客户投诉，更换{n}批次不合格产品并致歉",
    ),
    "phone": (
        "电话联系{t}，确认合同续签事宜，对方要求价格维持上年水平",
        "电话回访客户，处理{q}批次产品质量投诉，已安排技术人员上门",
        "致电客户{dept}，跟进报价反馈，对方认为价格偏高，需再议",
        "电话沟通回款进度，客户表示{a}万元货款已走审批流程",
        "电话通知{t}下月起价格调整{pct}%，客户表示理解",
        "电话确认{q}供货计划，客户追加订单约{a}万元",
        "与{t}电话沟通招标进展，我司已进入短名单",
    ),
    "email": (
        "邮件发送下一年度供货报价单及技术参数",
        "邮件回复客户关于交货期的询问，承诺{n}个工作日内发货",
        "邮件发送合同修订稿，请客户法务部审核",
        "收到客户邮件投诉物流延误，已协调物流部门处理",
        "邮件发送{q}对账单，合计{a}万元，请客户财务确认",
        "邮件向{t}提交投标文件澄清说明",
    ),
    "meeting": (
        "召开年度客户座谈会，{t}出席，听取对产品和服务的意见",
        "与客户召开合同续签谈判会议，就价格、账期等条款进行磋商",
        "参加客户组织的供应商大会，获评年度优秀供应商",
        "双方技术部门召开技术交流会，讨论新产品试用方案",
        "与{t}会谈，商定年度框架协议，约定年采购额{a}万元",
        "召开质量问题专题会，与客户{dept}确定整改措施",
    ),
    "fax": (
        "传真发送报价单及供货协议，请客户签字盖章后回传",
        "收到客户传真的{q}订货单，共计{a}万元",
        "传真发送对账单，请客户财务核对确认",
    ),
    "letter": (
        "寄送年度对账函，请客户核对盖章后寄回",
        "寄送催款函，提醒客户逾期货款{a}万元",
        "寄送新年贺卡及公司产品手册",
        "寄送合同正本一式两份，请客户盖章后寄回一份",
    ),
}
_PERIODS = _w("上月 本月 一季度 二季度 三季度 四季度 上半年 去年")
_TITLES = _w("总 总 总 经理 经理 部长 主任 总监 科长")
_NEXT_ACTIONS = _w(
    "下周回访 寄送合同文本 安排技术交流 跟进回款进度 提交正式报价 准备续签材料 "
    "邀请客户来厂考察 走访使用部门 确认开票信息 协调发货安排 提交整改报告 安排售后人员上门 "
    "约见财务总监 整理会议纪要并发送 跟进样品试用情况 准备投标文件"
)
_LEAD_DAYS = (1, 2, 3, 3, 5, 5, 7, 7, 7, 10, 14, 14, 15, 21, 30, 30, 45)
# Time of day of a dealing: 08:30-18:00, a third as likely over the lunch break.
_MINUTES = tuple(
    timedelta(minutes=m) for m in range(510, 1080) for _ in range(1 if 720 <= m < 810 else 3)
)

# -- check characters --------------------------------------------------------------------------
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714
_ORG_CHECK = tuple("0" if i == 0 else "X" if i == 1 else str(11 - i) for i in range(11))


def org_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body (digits, A-Z)."""
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    return _ORG_CHECK[total % 11]


_CHECK_TABLES: tuple[Any, ...] | None = None


def _check_tables() -> tuple[Any, ...]:
    """Weighted sums per chunk, so a credit code costs a few lookups instead of ~25 multiplies.

    Organisation code bodies are 8 digits (pre-2015 style: two 4-digit chunks) or "MA" and six
    characters of the credit-code alphabet (three 2-character chunks). Per chunk position the
    tables hold the chunk text, its GB 11714 sum and its GB 32100 sum. Equivalent to
    ``stdnum.cn.uscc.calc_check_digit`` (the tests compare), which alone took a third of the
    time per company.
    """
    global _CHECK_TABLES
    if _CHECK_TABLES is None:
        value = {c: i for i, c in enumerate(_USCC_ALPHABET)}

        def sums(texts: list[str], offset: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
            n = len(texts[0])
            ow, uw = _ORG_WEIGHTS[offset : offset + n], _USCC_WEIGHTS[8 + offset : 8 + offset + n]
            org = tuple(sum(int(c, 36) * w for c, w in zip(t, ow, strict=True)) for t in texts)
            usc = tuple(sum(value[c] * w for c, w in zip(t, uw, strict=True)) for t in texts)
            return org, usc

        digits = [f"{i:04d}" for i in range(10_000)]
        pairs = [a + b for a in _USCC_ALPHABET for b in _USCC_ALPHABET]
        _CHECK_TABLES = (
            tuple(digits), sums(digits, 0), sums(digits, 4),
            tuple(pairs), sums(pairs, 2), sums(pairs, 4), sums(pairs, 6),
            sums(["MA"], 0)[0][0], sums(["MA"], 0)[1][0],
            {c: value[c] * _USCC_WEIGHTS[16] for c in "0123456789X"},
        )  # fmt: skip
    return _CHECK_TABLES


def _prefix_sum(prefix: str) -> int:
    """GB 32100 weighted sum of the first 8 characters (authority, entity type, region)."""
    return sum(_USCC_ALPHABET.index(c) * w for c, w in zip(prefix, _USCC_WEIGHTS[:8], strict=True))


class _Permutation:
    """A keyed bijection of range(n): a 4-round unbalanced Feistel network with cycle walking.

    It is how names stay unique without a set of everything already issued.
    """

    def __init__(self, n: int, rng: Random) -> None:
        bits = max(2, (n - 1).bit_length())
        lo, hi = bits // 2, bits - bits // 2
        self.n = n
        self.rounds = tuple(
            (s, (1 << s) - 1, (1 << (bits - s)) - 1, bits - s, rng.getrandbits(32))
            for s in (lo, hi, lo, hi)
        )

    def __call__(self, x: int) -> int:
        n, rounds = self.n, self.rounds
        while True:
            for shift, lo_mask, hi_mask, out_shift, key in rounds:
                lo = x & lo_mask
                f = ((lo ^ key) * 0x45D9F3B) & 0xFFFFFFFF
                x = (lo << out_shift) | ((x >> shift) ^ (f ^ (f >> 16))) & hi_mask
            if x < n:
                return x


_PLACES = sorted({c.name for c in CITIES} | set(_PROVINCES), key=len, reverse=True)
_CITY_NAMES = frozenset(c.name for c in CITIES)
_ZIHAO_SET = frozenset(_ZIHAO_CHARS)


def _parse_ordinary(name: str) -> tuple[str, str, _Word, str] | None:
    """Split an ordinary generated name into (place, 字号, industry word, form), or None."""
    form = next((f for f in _FORMS if name.endswith(f)), None)
    if form is None:
        return None
    body = name[: -len(form)]
    if body.endswith("）") and "（" in body:
        body, _, place = body[:-1].partition("（")
    else:
        place = next((p for p in _PLACES if body.startswith(p)), "")
        if not place:
            return None
        body = body[len(place) :]
        if body.startswith("市") and place in _CITY_NAMES:
            body = body[1:]
    zh, word = body[:2], _WORD_BY_TEXT.get(body[2:])
    if word is None or len(zh) != 2 or not set(zh) <= _ZIHAO_SET:
        return None
    return place, zh, word, form


def _pick(rnd: Callable[[], float], seq: Any) -> Any:
    return seq[int(rnd() * len(seq))]


def _amount(rng: Random) -> str:
    """An amount in 万元 as written in a note: round for large sums, one decimal for small."""
    v = 10 ** rng.uniform(0.7, 3.5)
    return f"{v:.1f}" if v < 100 else str(int(round(v, -1)))


def _mobile(rnd: Callable[[], float]) -> str:
    return f"{_pick(rnd, _MOBILE_PREFIXES)}{int(rnd() * 100_000_000):08d}"


def _landline(rnd: Callable[[], float], area: str) -> str:
    return f"{area}-{20_000_000 + int(rnd() * 70_000_000)}"


# ((channel, summaries, len(summaries)) per slot of _CHANNELS, participant names)
_LogPools = tuple[tuple[tuple[str, tuple[str, ...], int], ...], tuple[str, ...]]
# (aware midnights of the working days, their positions in the dates, every date of the range+)
_Calendar = tuple[list[datetime], list[int], list[date]]


class SampleData:
    """Deterministic generator of companies, contacts, contact logs and people.

    Instances are cheap; word lists are combined, not stored, so a million companies cost no
    memory beyond what the caller keeps. Each kind of record has its own random stream.
    """

    def __init__(self, seed: int = 2026) -> None:
        self.seed = seed
        self._rc = Random(f"{seed}:companies")
        self._rp = Random(f"{seed}:people")
        self._rl = Random(f"{seed}:logs")
        setup = Random(f"{seed}:setup")
        pairs = [a + b for a in _ZIHAO_CHARS for b in _ZIHAO_CHARS if a != b]
        setup.shuffle(pairs)  # a band with share s uses the first 1/s of this list
        self._zihao = tuple(pairs)
        # (end of the band's index range, kind, form, names per place, places)
        self._bands: list[tuple[int, int, str, int, tuple[Any, ...]]] = []
        start = 0
        for kind, form, share, places in _BANDS:
            place_list = CITIES if places == "city" else _PROVINCES
            per_place = len(pairs) // share * len(_WORDS)
            start += len(place_list) * per_place
            self._bands.append((start, kind, form, per_place, place_list))
        self.name_space = start  # how many ordinary names one generator can issue (~35M)
        self._name_perm = _Permutation(start, setup)
        self._name_k = 0
        self._company_k = 0  # organisation codes derive from this counter, so never repeat
        a = setup.randrange(1, 10**8) | 1
        while a % 5 == 0:
            a += 2
        self._legacy = (a, setup.randrange(10**8))  # coprime with 10**8: a bijection
        ma = 31**6
        self._ma = (setup.randrange(1, ma // 31) * 31 + setup.randrange(1, 31), setup.randrange(ma))
        self._scopes = {
            w.text: tuple(_scope(setup, w.scope, w.industry) for _ in range(6)) for w in _WORDS
        }
        self._soe: list[tuple[str, int, int, str, str]] | None = None
        self._by_province = {p: tuple(c for c in CITIES if c.province == p) for p in _PROVINCES}
        self._id_areas: dict[int, tuple[str, ...]] = {}
        self._log_pools: _LogPools | None = None
        self._calendars: dict[tuple[date, date], _Calendar] = {}
        self._pinyin: dict[str, str] = {}

    # -- people --------------------------------------------------------------------------------

    @staticmethod
    def _name(rnd: Callable[[], float], female: bool | None = None) -> str:
        surname = _SURNAME_TABLE[int(rnd() * _SURNAME_N)]
        if female is None:
            female = rnd() < 0.45
        chars = _FEMALE_CHARS if female else _MALE_CHARS
        n = len(chars)
        if len(surname) > 1 or rnd() < 0.3:
            return surname + chars[int(rnd() * n)]
        return surname + chars[int(rnd() * n)] + chars[int(rnd() * n)]

    def person_name(self) -> str:
        """A Chinese name of 2-3 characters with a realistic surname distribution."""
        return self._name(self._rp.random)

    def _id(self, rnd: Callable[[], float], years: tuple[int, int], female: bool) -> str:
        lo, hi = years
        if not 1900 <= lo <= hi <= date.today().year:
            raise ValueError(f"birth years {years!r} are not an ascending range in 1900-today")
        first = date(lo, 1, 1).toordinal()
        born = date.fromordinal(first + int(rnd() * (date(hi, 12, 31).toordinal() - first + 1)))
        areas = self._id_areas.get(born.year)
        if areas is None:
            areas = _ALWAYS_VALID_AREAS + tuple(
                d.code for c in CITIES for d in c.districts if 0 < d.id_from <= born.year
            )
            self._id_areas[born.year] = areas
        seq = int(rnd() * 499) * 2 + 2 if female else int(rnd() * 500) * 2 + 1  # odd: male
        body = f"{_pick(rnd, areas)}{born:%Y%m%d}{seq:03d}"
        return body + ric.calc_check_digit(body + "?")  # it ignores the last character

    def id_number(self, birth_year_range: tuple[int, int] = (1960, 2000)) -> str:
        """A resident ID number that ``stdnum.cn.ric.validate`` accepts.

        stdnum also checks that the birthplace code existed in the birth year, and it knows most
        city districts only from 1983 on, so people born earlier come from long-standing
        districts and counties.
        """
        rnd = self._rp.random
        return self._id(rnd, birth_year_range, rnd() < 0.45)

    def buyers(self, n: int) -> list[dict[str, Any]]:
        """People entitled to buy for a client; each ID number agrees with the name's sex."""
        rnd = self._rp.random
        out = []
        for _ in range(n):
            female = rnd() < 0.4
            out.append(
                {
                    "name": self._name(rnd, female),
                    "id_number": self._id(rnd, (1965, 2000), female),
                    "department": _pick(rnd, _DEPARTMENTS),
                }
            )
        return out

    # -- companies -----------------------------------------------------------------------------

    def _soe_names(self) -> list[tuple[str, int, int, str, str]]:
        """Every state-owned-style branch name, shuffled; taken from the end, each once."""
        names: dict[str, tuple[str, int, int, str, str]] = {}
        for soe in _SOE:
            listed = set(soe.provinces[1:].split())
            for ci, city in enumerate(CITIES):
                if (soe.provinces.startswith("+") and city.province not in listed) or (
                    soe.provinces.startswith("-") and city.province in listed
                ):
                    continue
                template = soe.muni_template if city.municipality else soe.template
                ps = city.province + ("省" if city.province_full.endswith("省") else "")
                for di, d in enumerate(city.districts):
                    name = template.format(p=city.province, ps=ps, c=city.name, d=d.short)
                    if _parse_ordinary(name) is None:  # never clash with an ordinary name
                        names.setdefault(name, (name, ci, di, soe.industry, soe.scope))
        soe_names = list(names.values())
        self._rc.shuffle(soe_names)
        return soe_names

    def companies(self, n: int) -> Iterator[dict[str, Any]]:
        """Companies whose names and credit codes never repeat within this generator.

        About 4% are state-owned-style branches (中国电信…分公司, …支行) until those run out
        (about 1,700); the rest combine place, 字号, industry word and 组织形式 (~35 million).
        """
        if self._soe is None:
            self._soe = self._soe_names()
        rc = self._rc
        rnd = rc.random
        tri = rc.triangular
        perm = self._name_perm
        zihao = self._zihao
        words = _WORDS
        nw = len(words)
        bands = self._bands
        scopes = self._scopes
        by_province = self._by_province
        soe = self._soe
        la, lb = self._legacy
        ma, mb = self._ma
        alphabet = _USCC_ALPHABET
        org_check = _ORG_CHECK
        prefix_sums: dict[str, int] = {}
        (d4, (d4o0, d4u0), (d4o4, d4u4), p2, (p2o2, p2u2), (p2o4, p2u4), (p2o6, p2u6),
         ma_o, ma_u, oc_u) = _check_tables()  # fmt: skip
        for _ in range(n):
            k = self._company_k
            self._company_k += 1
            district_i = -1
            if soe and rnd() < 0.04:
                name, ci, district_i, industry, core = soe.pop()
                city = CITIES[ci]
                scope = _scope(rc, core, industry)
                lg = tri(8.7, 10.0, 9.4)  # log10 of the registered capital
                size_bias = 1.0
            else:
                if self._name_k >= self.name_space:
                    raise RuntimeError(f"all {self.name_space} company names of this seed are used")
                idx = perm(self._name_k)
                self._name_k += 1
                band = next(b for b in bands if idx < b[0])
                end, kind, form, per_place, places = band
                place_i, rem = divmod(idx - (end - len(places) * per_place), per_place)
                zi, wi = divmod(rem, nw)
                zh = zihao[zi]
                word = words[wi]
                place = places[place_i]
                if kind == 3:
                    city = _pick(rnd, by_province[place])
                    name = f"{place}{zh}{word.text}{form}"
                else:
                    city = place
                    if kind == 0:
                        name = f"{city.name}{zh}{word.text}{form}"
                    elif kind == 1:
                        name = f"{city.name}市{zh}{word.text}{form}"
                    else:
                        name = f"{zh}{word.text}（{city.name}）{form}"
                industry = word.industry
                scope = _pick(rnd, scopes[word.text])
                if form == "有限公司":
                    lg = tri(6.0, 10.0, 6.4)
                elif form == "有限责任公司":
                    lg = tri(6.3, 10.0, 7.2)
                else:
                    lg = tri(7.0, 10.0, 8.3)
                size_bias = 0.0
            districts = city.districts
            if district_i < 0:
                district_i = int(rnd() * len(districts))
            district = districts[district_i]
            # registered capital: mostly two significant figures, sometimes to the cent
            value = 10.0**lg
            if rnd() < 0.88:
                unit = 10 ** (int(lg) - 1)
                capital = Decimal(f"{round(value / unit) * unit}.00")
            else:
                capital = Decimal(f"{int(value)}.{int(rnd() * 100):02d}")
            s = lg + (rnd() - 0.5) * 0.6 + size_bias
            size = "micro" if s < 6.7 else "small" if s < 7.6 else "medium" if s < 8.6 else "large"
            # credit code: 9 (market regulator), 1 (enterprise), district, organisation code
            prefix = "91" + district.code
            psum = prefix_sums.get(prefix)
            if psum is None:
                psum = prefix_sums[prefix] = _prefix_sum(prefix)
            if rnd() < 0.35:  # issued before 2015: 8 digits
                h, lo = divmod((la * k + lb) % 100_000_000, 10_000)
                org = d4[h] + d4[lo]
                osum = d4o0[h] + d4o4[lo]
                usum = psum + d4u0[h] + d4u4[lo]
            else:  # since 2015: "MA" and 6 characters
                v, c3 = divmod((ma * k + mb) % 887_503_681, 961)
                c1, c2 = divmod(v, 961)
                org = "MA" + p2[c1] + p2[c2] + p2[c3]
                osum = ma_o + p2o2[c1] + p2o4[c2] + p2o6[c3]
                usum = psum + ma_u + p2u2[c1] + p2u4[c2] + p2u6[c3]
            oc = org_check[osum % 11]
            credit = prefix + org + oc + alphabet[-(usum + oc_u[oc]) % 31]
            area = city.area_code
            phone = _landline(rnd, area) if rnd() < 0.85 else _mobile(rnd)
            fax = _landline(rnd, area) if rnd() < 0.55 else None
            road = _pick(rnd, _ROADS) + _pick(rnd, _ROAD_SUFFIXES)
            r = rnd()
            number = 1 + int(r * r * 900)
            r = rnd()
            if r < 0.3:
                floor, room = 1 + int(rnd() * 30), 1 + int(rnd() * 20)
                tail = f"{_pick(rnd, _BUILDINGS)}{floor}{room:02d}室"
            elif r < 0.45:
                tail = f"{1 + int(rnd() * 12)}栋{1 + int(rnd() * 6)}楼"
            else:
                tail = ""
            where = city.province_full
            if not city.municipality:
                where += city.name + "市"
            profile = {"sales_capacity": _pick(rnd, _SALES[size])}
            if rnd() < 0.7:
                profile["development_potential"] = _pick(rnd, _POTENTIAL)
            if rnd() < 0.6:
                profile["business_model"] = _pick(rnd, _MODEL)
            if rnd() < 0.6:
                profile["industry_standing"] = _pick(rnd, _STANDING[size])
            yield {
                "name": name,
                "credit_code": credit,
                "legal_rep": self._name(rnd),
                "address": f"{where}{district.name}{road}{number}号{tail}",
                "postcode": f"{city.postcode_prefix}{int(rnd() * 60):02d}0",
                "phone": phone,
                "fax": fax,
                "business_scope": scope,
                "registered_capital": capital,
                "region": f"{city.province}/{city.name}",
                "industry": industry,
                "size": size,
                "profile": profile,
            }

    # -- contacts ------------------------------------------------------------------------------

    def _to_pinyin(self, text: str) -> str:
        """Romanise through a per-character cache; pypinyin is slow, and only needed here."""
        cache = self._pinyin
        for c in text:
            if c not in cache:
                from pypinyin import lazy_pinyin

                syllables = "".join(lazy_pinyin(c)).lower()
                cache[c] = "".join(ch for ch in syllables if "a" <= ch <= "z")
        return "".join(cache[c] for c in text)

    def _initials(self, text: str) -> str:
        return "".join(self._to_pinyin(c)[:1] for c in text)

    def email_domain(self, company_name: str) -> str:
        """A plausible mail domain, derived from the name alone so every caller agrees."""
        for soe in _SOE:
            if soe.marker in company_name:
                if "{cp}" in soe.domain:
                    city = next((c for c in _CITY_NAMES if company_name.startswith(c)), "")
                    return soe.domain.replace("{cp}", self._to_pinyin(city))
                return soe.domain
        parsed = _parse_ordinary(company_name)
        if parsed is None:
            return f"{self._initials(company_name)[:8] or 'corp'}.com.cn"
        place, zh, word, form = parsed
        zp = self._to_pinyin(zh)
        variant = zlib.crc32(company_name.encode()) % 4
        if variant == 0:
            return f"{zp}-{word.abbr}.com.cn"
        if variant == 1:
            return f"{self._initials(place)}{zp}.com"
        if variant == 2 and form.startswith("集团"):
            return f"{zp}group.com"
        return f"{zp}{word.abbr}.cn"

    def contacts(self, n: int, company: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Key people of one client: one holder per senior post, mail at the company's domain.

        Only ``company["name"]`` is used; without a company the addresses are at free mail
        providers.
        """
        rp = self._rp
        rnd = rp.random
        domain = self.email_domain(company["name"]) if company and company.get("name") else None
        taken: set[str] = set()
        used: set[str] = set()
        out = []
        for _ in range(n):
            position = _pick(rnd, _POSITIONS)
            for _retry in range(8):
                if position not in taken:
                    break
                position = _pick(rnd, _POSITIONS)
            if position in _UNIQUE_POSITIONS:
                taken.add(position)
            name = self._name(rnd, rnd() < 0.35)
            surname = name[:2] if name[:2] in _COMPOUND_SURNAMES else name[:1]
            sp = _SURNAME_PINYIN.get(surname) or self._to_pinyin(surname)
            gp = self._to_pinyin(name[len(surname) :])
            if domain is None:
                host = _pick(rnd, FREE_MAIL_DOMAINS)
                if host == "qq.com":
                    local = str(10_000_000 + int(rnd() * 2_000_000_000))
                else:
                    local = f"{sp}{gp}{int(rnd() * 90) + 10}"
            else:
                host = domain
                r = rnd()
                if r < 0.5:
                    local = sp + gp
                elif r < 0.7:
                    local = f"{sp}.{gp}"
                elif r < 0.85:
                    local = gp[:1] + sp
                else:
                    local = sp + gp[:1]
            base, i = local, 2
            while local in used:
                local, i = f"{base}{i}", i + 1
            used.add(local)
            lo, hi = _AGE_RANGE.get(position, (28, 52))
            profile = {"age": f"{rp.randint(lo, hi)}岁", "education": _pick(rnd, _EDUCATION)}
            if rnd() < 0.75:
                profile["character"] = _pick(rnd, _CHARACTER)
            if rnd() < 0.7:
                profile["interests"] = "、".join(rp.sample(_INTERESTS, 2 if rnd() < 0.4 else 1))
            if rnd() < 0.6:
                profile["background"] = _pick(rnd, _BACKGROUND)
            if rnd() < 0.3:
                profile["family"] = _pick(rnd, _FAMILY)
            out.append(
                {
                    "name": name,
                    "position": position,
                    "phone": _mobile(rnd),
                    "email": f"{local}@{host}",
                    "notes": _pick(rnd, _NOTES) if rnd() < 0.5 else "",
                    "profile": profile,
                }
            )
        return out

    # -- contact logs --------------------------------------------------------------------------

    def _logs_setup(self) -> _LogPools:
        """Sentence and name pools, drawn once: picking from them is what makes logs fast."""
        if self._log_pools is None:
            rl = self._rl
            rnd = rl.random
            titles = [
                _SURNAME_TABLE[int(rnd() * _SURNAME_N)] + _pick(rnd, _TITLES) for _ in range(400)
            ]
            by_channel = {}
            for channel, templates in _SUMMARIES.items():
                pool = tuple(
                    rl.choice(templates).format(
                        t=rl.choice(titles),
                        dept=rl.choice(_DEPARTMENTS),
                        pct=rl.choice((3, 5, 5, 8, 10, 10, 12, 15, 20, 30)),
                        q=rl.choice(_PERIODS),
                        a=_amount(rl),
                        n=rl.randint(2, 15),
                    )
                    for _ in range(1024)
                )
                by_channel[channel] = (channel, pool, len(pool))
            names = tuple(dict.fromkeys(self._name(rnd) for _ in range(3000)))
            self._log_pools = (tuple(by_channel[c] for c in _CHANNELS), names)
        return self._log_pools

    def _calendar(self, start: date, end: date) -> _Calendar:
        """Working days of a range as aware midnights, their positions, and every date after."""
        key = (start, end)
        cal = self._calendars.get(key)
        if cal is None:
            if end < start:
                raise ValueError(f"end {end} is before start {start}")
            span = (end - start).days + 1
            days = [start + timedelta(days=i) for i in range(span + max(_LEAD_DAYS) + 1)]
            work = [i for i in range(span) if days[i].weekday() < 5] or list(range(span))
            bases = []
            for i in work:
                d = days[i]
                bases.append(datetime(d.year, d.month, d.day, tzinfo=SHANGHAI))
            if len(self._calendars) > 8:
                self._calendars.clear()
            cal = self._calendars[key] = (bases, work, days)
        return cal

    def contact_logs(self, n: int, start: date, end: date) -> list[dict[str, Any]]:
        """Dealings on working days from ``start`` to ``end`` inclusive, in no particular order.

        Weekends are skipped unless the range has no weekday; public holidays are not.
        """
        channels, names = self._logs_setup()
        bases, work, days = self._calendar(start, end)
        rnd = self._rl.random
        nd = len(bases)
        nm = len(_MINUTES)
        nn = len(names)
        half = (nn - 1) // 2
        nch = len(channels)
        nna = len(_NEXT_ACTIONS)
        nlead = len(_LEAD_DAYS)
        out = []
        append = out.append
        for _ in range(n):
            channel, pool, npool = channels[int(rnd() * nch)]
            di = int(rnd() * nd)
            r = rnd()
            if r < 0.15:
                participants = []
            elif r < 0.6:
                participants = [names[int(rnd() * nn)]]
            else:  # distinct: offsets from i in [1, half] and [half + 1, 2 * half]
                i = int(rnd() * nn)
                participants = [names[i], names[(i + 1 + int(rnd() * half)) % nn]]
                if r >= 0.9:
                    participants.append(names[(i + 1 + half + int(rnd() * half)) % nn])
            r = rnd()
            if r < 0.3:
                action = due = None
            else:
                action = _NEXT_ACTIONS[int((r - 0.3) / 0.7 * nna)]
                due = days[work[di] + _LEAD_DAYS[int(rnd() * nlead)]]
            append(
                {
                    "channel": channel,
                    "occurred_at": bases[di] + _MINUTES[int(rnd() * nm)],
                    "participants": participants,
                    "summary": pool[int(rnd() * npool)],
                    "next_action": action,
                    "next_action_due": due,
                }
            )
        return out


def _scope(rng: Random, core: str, industry: str) -> str:
    """A 经营范围: the word's core business, up to two common extras, sometimes the legal tail."""
    extras = [e for e in _SCOPE_EXTRAS[industry].split("|") if e not in core]
    parts = [core, *rng.sample(extras, rng.randint(0, min(2, len(extras))))]
    return "；".join(parts) + "。" + (_SCOPE_TAIL if rng.random() < 0.25 else "")
