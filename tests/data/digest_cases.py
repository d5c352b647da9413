"""A labelled set for the digest's grouping: cases in Chinese and English, several wordings of
each problem, said at several places, and near misses that must stay apart (a street light
and a traffic light; no water and a leaking pipe; uncollected rubbish and rubbish burning;
dancing music at night and building work at night).

``CASES`` is a list of (problem, text). A problem is one language's: the same problem told in
the other language is another label, since TF-IDF cannot see that two languages say the
same thing (documented in docs/digest.md).
"""

from __future__ import annotations

from itertools import product

_ZH_PLACES = ("新华路", "我们小区", "镜湖社区东门", "幸福里三栋", "学校门口")
_EN_PLACES = (
    "on Xinhua Road",
    "in our estate",
    "by the east gate",
    "at block 3",
    "outside the school",
)

_ZH: dict[str, list[str]] = {
    "zh-streetlight": [
        "{p}的路灯坏了，晚上一片漆黑",
        "{p}路灯不亮好几天了，走夜路很危险",
        "{p}那几盏路灯晚上都不亮",
        "{p}路灯一直闪，后来干脆不亮了",
    ],
    "zh-trafficlight": [
        "{p}的红绿灯坏了，车辆乱闯很危险",
        "{p}路口信号灯不工作，行人过马路没法看",
        "{p}红绿灯一直黄灯闪烁，路口交通混乱",
        "{p}的交通信号灯时间太短，老人过不去马路",
    ],
    "zh-nowater": [
        "{p}停水两天了，也没有通知",
        "{p}家里没有自来水，水龙头拧开一滴水都没有",
        "{p}突然停水，做饭洗衣都没法弄",
        "{p}经常停水，自来水公司也不说什么时候来水",
    ],
    "zh-leak": [
        "{p}的水管漏水，地上全是水",
        "{p}地下水管破裂，一直在往外冒水",
        "{p}楼上水管渗漏，我家天花板都湿了",
        "{p}供水管道漏了很久，浪费好多水",
    ],
    "zh-garbage": [
        "{p}的垃圾好几天没人清运，臭气熏天",
        "{p}垃圾桶满了没人收，垃圾堆到路边",
        "{p}垃圾清运不及时，苍蝇蚊子很多",
        "{p}的垃圾站没人管，垃圾堆成山",
    ],
    "zh-burning": [
        "{p}有人焚烧垃圾，烟很大呛得人受不了",
        "{p}天天有人烧垃圾，黑烟飘进家里",
        "{p}有人露天焚烧树叶和塑料，气味刺鼻",
        "{p}晚上总有人烧东西，浓烟滚滚",
    ],
    "zh-dance": [
        "{p}广场舞音乐声音太大，晚上吵得睡不着",
        "{p}跳广场舞的音响开得很响，扰民严重",
        "{p}每天晚上广场舞音乐放到十点以后",
        "{p}广场舞噪音太大，孩子没法写作业",
    ],
    "zh-construction": [
        "{p}工地夜间施工，机器轰鸣睡不着觉",
        "{p}半夜还在打桩施工，噪音太大",
        "{p}的工地晚上十一点还在施工，吵死了",
        "{p}夜里施工的搅拌车来回开，噪音扰民",
    ],
    "zh-elevator": [
        "{p}的电梯又坏了，老人上不了楼",
        "{p}电梯经常故障停运，有人被困过",
        "{p}电梯运行时异响，大家不敢坐",
        "{p}电梯停了一个星期还没修好",
    ],
    "zh-ebike": [
        "{p}楼道里停满电动车，还拉电线充电，太危险",
        "{p}有人在楼道给电动车充电，存在火灾隐患",
        "{p}电动车堵在楼梯口，飞线充电没人管",
        "{p}楼道电动车充电的问题一直没人管",
    ],
    "zh-sewer": [
        "{p}下水道堵了，污水漫到路面上",
        "{p}的下水道反味，臭得开不了窗",
        "{p}污水井堵塞，一下雨就积水发臭",
        "{p}化粪池满溢，下水道往外冒污水",
    ],
    "zh-pothole": [
        "{p}路面坑坑洼洼，电动车摔倒好几次",
        "{p}的马路上有个大坑，一直没人修",
        "{p}路面破损严重，下雨全是积水坑",
        "{p}道路塌陷出一个坑，车辆经过很危险",
    ],
    "zh-dogs": [
        "{p}有流浪狗到处跑，还咬过小孩",
        "{p}流浪狗成群，晚上追着人叫",
        "{p}好几条流浪狗在垃圾桶边翻食，很吓人",
        "{p}流浪狗越来越多，希望有人来处理",
    ],
    "zh-parking": [
        "{p}车辆乱停乱放，把人行道都占了",
        "{p}汽车停在消防通道上，出了事进不来",
        "{p}门口违规停车，把路堵得走不过去",
        "{p}有车长期占道停车，行人只能走马路",
    ],
    "zh-heating": [
        "{p}暖气不热，家里只有十几度",
        "{p}的供暖温度不达标，老人冻得受不了",
        "{p}暖气片冰凉，交了取暖费却不供暖",
        "{p}冬天暖气时有时无，屋里很冷",
    ],
}

_EN: dict[str, list[str]] = {
    "en-streetlight": [
        "The street lights {p} are out and it is pitch dark at night",
        "Street lamp {p} has not worked for days, walking home is dangerous",
        "Several street lights {p} stay dark all night",
        "The street light {p} keeps flickering and then goes off",
    ],
    "en-trafficlight": [
        "The traffic lights {p} are broken and cars run the junction",
        "Traffic signal {p} is not working, pedestrians cannot cross safely",
        "The traffic light {p} only flashes amber, the crossing is chaos",
        "Pedestrian signal {p} is too short for old people to cross",
    ],
    "en-nowater": [
        "No running water {p} for two days and no notice was given",
        "The water supply {p} was cut off, nothing comes out of the tap",
        "Water outage {p} again, we cannot cook or wash",
        "Tap water {p} stops often and nobody says when it comes back",
    ],
    "en-leak": [
        "A water pipe {p} is leaking and the ground is flooded",
        "Burst pipe {p} has been gushing water for hours",
        "Leaking pipe upstairs {p} soaked our ceiling",
        "The water main {p} has leaked for weeks, wasting so much water",
    ],
    "en-garbage": [
        "Rubbish {p} has not been collected for days and it stinks",
        "The bins {p} are overflowing, nobody empties them",
        "Garbage collection {p} is late again, flies everywhere",
        "Trash piles up {p} because the collection truck never comes",
    ],
    "en-burning": [
        "Someone is burning rubbish {p}, the smoke is choking",
        "People burn garbage {p} every evening and black smoke comes into our flat",
        "Open burning of leaves and plastic {p}, the smell is awful",
        "Thick smoke {p} every night from people burning waste",
    ],
    "en-dance": [
        "Square dancing music {p} is far too loud at night",
        "The dancers' loudspeakers {p} are deafening every evening",
        "Dance music {p} plays past ten every night",
        "Loud music from the square dance {p} keeps the children awake",
    ],
    "en-construction": [
        "The building site {p} works through the night, the machines keep us awake",
        "Piling work {p} at midnight, unbearable construction noise",
        "Construction {p} still going at 11 pm, so noisy",
        "Concrete mixers drive in and out of the site {p} all night",
    ],
    "en-elevator": [
        "The lift {p} is broken again, elderly residents cannot get upstairs",
        "Elevator {p} keeps breaking down, someone was trapped",
        "The lift {p} makes grinding noises and people are afraid to use it",
        "The elevator {p} has been out of service for a week",
    ],
    "en-ebike": [
        "E-bikes are parked in the stairwell {p} and charged from cables, a fire risk",
        "People charge electric bikes in the corridor {p}, it could catch fire",
        "Electric scooters block the stairs {p} with charging leads everywhere",
        "E-bike charging in the hallway {p} is still not dealt with",
    ],
    "en-sewer": [
        "The drain {p} is blocked and sewage runs onto the road",
        "The sewer {p} smells so bad we cannot open the windows",
        "Blocked drains {p} flood and stink whenever it rains",
        "The septic tank {p} is overflowing into the drains",
    ],
    "en-pothole": [
        "The road surface {p} is full of potholes, scooters keep falling",
        "There is a huge pothole {p} that nobody repairs",
        "The road {p} is badly broken and fills with puddles",
        "The road {p} has caved in, leaving a dangerous hole",
    ],
    "en-dogs": [
        "Stray dogs roam {p} and one bit a child",
        "A pack of stray dogs {p} chases people at night",
        "Stray dogs tear open the bins {p}, it is frightening",
        "More and more stray dogs {p}, someone should handle them",
    ],
    "en-parking": [
        "Cars park on the pavement {p} so pedestrians must walk in the road",
        "Cars block the fire lane {p}, an engine could not get through",
        "Illegal parking {p} blocks the whole road",
        "A car has been parked on the footpath {p} for months",
    ],
    "en-heating": [
        "The heating {p} is barely warm, it is 15 degrees indoors",
        "The radiators {p} are not warm enough, old people are freezing",
        "Radiators {p} are stone cold although we paid the heating fee",
        "Heating {p} comes and goes all winter, the flat is cold",
    ],
}

NEAR_MISSES = (
    ("zh-streetlight", "zh-trafficlight"),
    ("zh-nowater", "zh-leak"),
    ("zh-garbage", "zh-burning"),
    ("zh-dance", "zh-construction"),
    ("en-streetlight", "en-trafficlight"),
    ("en-nowater", "en-leak"),
    ("en-garbage", "en-burning"),
    ("en-dance", "en-construction"),
)


def _cases() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for problems, places in ((_ZH, _ZH_PLACES), (_EN, _EN_PLACES)):
        for problem, wordings in problems.items():
            # Each wording at some of the places (rotating), so places are shared across
            # problems and wordings across places: 4 wordings x 3 places per problem.
            for i, (wording, k) in enumerate(product(wordings, range(3))):
                place = places[(i + k + len(problem)) % len(places)]
                out.append((problem, wording.format(p=place)))
    return out


CASES = _cases()
