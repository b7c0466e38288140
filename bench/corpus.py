"""Seeded synthetic corpus: Chinese articles of the same kind as corpus/, at a given chunk count.

Each article mixes two kinds of sentence, like a real regional-news corpus:

- sentences of the seed article (corpus/dongguan-future-industries.txt) with the city, the
  figures and the years varied;
- sentences from templates about industries, companies, officials, investments and dates, with
  names, places and figures drawn from seeded pools, so the vocabulary grows with the corpus
  (people's and companies' names, figures with units) as it does in real news.

Articles carry the header lines (作者/编辑/图源/发布时间) and numbered section headings of the seed
article, and are counted in chunks with the real reader and chunker, so a "10k" corpus holds
10,000 chunks (± one article) under the default chunking settings. The same seed always writes
the same files.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from index.text import split_sentences
from ingest.chunking import chunk_document
from ingest.documents import read_document

REPO = Path(__file__).resolve().parent.parent
SEED_ARTICLE = REPO / "corpus" / "dongguan-future-industries.txt"

PLACES = [
    "东莞", "松山湖", "滨海湾新区", "水乡新城", "银瓶合作创新区", "长安镇", "虎门镇", "厚街镇", "塘厦镇",
    "常平镇", "樟木头镇", "大朗镇", "清溪镇", "凤岗镇", "寮步镇", "大岭山镇", "黄江镇", "谢岗镇",
    "石排镇", "茶山镇", "中堂镇", "麻涌镇", "沙田镇", "道滘镇", "洪梅镇", "望牛墩镇", "横沥镇",
    "东坑镇", "企石镇", "桥头镇", "石碣镇", "石龙镇", "高埗镇", "南城街道", "东城街道", "莞城街道",
    "万江街道", "佛山", "中山", "惠州", "珠海", "江门", "肇庆", "深圳", "广州",
]
INDUSTRIES = [
    "新一代人工智能", "量子信息", "量子计算", "新概念材料", "智能机器人", "低空经济", "商业航天",
    "生物制造", "合成生物", "脑机接口", "人形机器人", "第三代半导体", "集成电路", "新型储能", "氢能",
    "智能网联汽车", "工业互联网", "高端医疗器械", "创新药", "新型显示", "超高清视频", "卫星互联网",
    "海洋装备", "先进核能", "光芯片", "可穿戴智能设备", "智能无人飞行器", "精密模具", "数控机床",
    "锂电池材料", "碳化硅功率器件", "具身智能", "算力中心", "数据要素", "元宇宙",
]
COMPANY_HEADS = [
    "华", "中", "粤", "莞", "新", "鸿", "力", "盛", "锐", "拓", "凯", "晶", "瑞", "博", "信", "宏", "正",
    "源", "科", "芯", "智", "东", "海", "天", "星", "光", "腾", "联", "远", "恒", "安", "达", "捷",
]
COMPANY_TAILS = ["科技", "智能", "电子", "精密", "新材料", "生物", "半导体", "能源", "装备", "信息", "机器人"]
COMPANY_FORMS = ["股份有限公司", "有限公司", "集团", "研究院", "实验室"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余叶邱钟卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红宇亮俊峰琳晨浩然思远子涵欣怡嘉宁博文睿"
ROLES = [
    "市工业和信息化局局长", "市科技局副局长", "松山湖管委会主任", "镇党委书记", "区发展改革局负责人",
    "董事长", "总经理", "首席技术官", "研究员", "教授", "院长", "副院长", "首席科学家", "行业协会会长",
]
UNIVERSITIES = ["大湾区大学", "东莞理工学院", "中山大学", "华南理工大学", "香港科技大学", "松山湖材料实验室"]
AUTHORS_ROLE = ["记者", "通讯员", "实习生"]

TEMPLATES = [
    "{year}年，{place}{industry}产业规模以上企业营业收入达到{money}亿元，同比增长{pct}%。",
    "截至{year}年{month}月底，{place}已集聚{industry}相关企业{count}家，其中高新技术企业{small}家。",
    "{company}位于{place}，主要从事{industry}领域的研发与制造，去年研发投入占营业收入的{pct}%。",
    "{year}年{month}月{day}日，{place}举行{industry}产业招商大会，现场签约项目{small}个，总投资{money}亿元。",
    "“{industry}是{place}必须抢占的新赛道。”{person}在接受记者采访时表示，{place}将在{span}年内建成{small}个公共技术服务平台。",
    "{person}介绍，{company}自主研发的{industry}产品已进入{count}家客户的供应链，国产化率超过{pct}%。",
    "根据{place}印发的《{industry}产业发展行动计划（{year}—{year2}年）》，到{year2}年该产业规模力争突破{money}亿元。",
    "{university}与{company}共建的{industry}联合实验室于{year}年{month}月揭牌，首期投入{small}亿元。",
    "在{industry}方面，{place}将重点支持链主企业牵头组建创新联合体，每年安排专项资金不少于{small}亿元。",
    "数据显示，{year}年{place}规上工业增加值增长{pct}%，其中{industry}产业贡献率达到{pct2}%。",
    "{company}董事长{person}表示，企业计划在未来{span}年投资{money}亿元扩建{industry}生产基地。",
    "{place}目前拥有国家级专精特新“小巨人”企业{small}家、省级专精特新中小企业{count}家。",
    "业内人士指出，{industry}产业链条长、带动性强，{place}在精密制造和供应链配套方面具备明显优势。",
    "{year}年，{place}R&D投入占GDP比重达到{pct}%，全市有效发明专利拥有量超过{count}件。",
    "{university}{role}{person}认为，发展{industry}需要长期投入，应当把基础研究和应用研究结合起来。",
    "为了吸引高端人才，{place}出台政策，对{industry}领域的顶尖团队最高给予{small}亿元资助。",
    "{year}年{month}月，{company}在{place}的{industry}项目正式投产，预计年产值可达{money}亿元。",
    "{place}还将建设面积约{count}亩的{industry}产业园，首批入园企业{small}家。",
    "“我们正在和{university}合作攻关{industry}关键技术。”{company}{role}{person}说。",
    "今年以来，{place}{industry}领域新增投资项目{count}个，完成固定资产投资{money}亿元，增长{pct}%。",
    "{place}提出，到{year2}年培育{small}个规模超百亿元的{industry}产业集群，形成梯次发展格局。",
    "记者从{place}发展和改革局获悉，{industry}项目用地已完成审批，计划于{year}年{month}月动工。",
]
HEADINGS = [
    "{industry}产业加速集聚", "链主企业带动{industry}发展", "{place}抢占{industry}新赛道",
    "科技创新驱动产业升级", "人才与平台建设", "政策支持持续加码", "{industry}应用场景不断拓展",
    "打造未来产业先导区", "产学研协同攻关", "以制造业当家推动高质量发展",
]


@dataclass
class Fact:
    """A question the generated text answers, for retrieval and serving load."""

    question: str
    doc_id: str


@dataclass
class Corpus:
    folder: Path
    documents: int
    chunks: int
    chars: int
    questions: list[str] = field(default_factory=list)


def seed_sentences() -> list[str]:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    lines = [l for l in text.splitlines()[3:] if len(l) > 20 and not l.startswith("热门")]
    body = "\n".join(lines)
    return [body[s.start : s.end] for s in split_sentences(body) if s.end - s.start > 15]


class Generator:
    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.seed_pool = seed_sentences()

    # --- pools -----------------------------------------------------------------------------

    def person(self) -> str:
        r = self.rng
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2))))

    def company(self, industry: str) -> str:
        r = self.rng
        head = r.choice(COMPANY_HEADS) + r.choice(COMPANY_HEADS)
        return f"{head}{r.choice(COMPANY_TAILS)}{r.choice(COMPANY_FORMS)}"

    def slots(self, place: str, industry: str, company: str, person: str) -> dict[str, str]:
        r = self.rng
        year = r.randint(2015, 2025)
        return {
            "place": place,
            "industry": industry,
            "company": company,
            "person": person,
            "role": r.choice(ROLES),
            "university": r.choice(UNIVERSITIES),
            "year": str(year),
            "year2": str(year + r.randint(3, 10)),
            "month": str(r.randint(1, 12)),
            "day": str(r.randint(1, 28)),
            "money": f"{r.randint(5, 3000)}" if r.random() < 0.7 else f"{r.randint(1, 999)}.{r.randint(1, 9)}",
            "pct": f"{r.randint(1, 40)}.{r.randint(0, 9)}",
            "pct2": f"{r.randint(5, 60)}",
            "count": str(r.randint(20, 5000)),
            "small": str(r.randint(2, 60)),
            "span": str(r.randint(2, 10)),
        }

    def varied_seed_sentence(self, place: str) -> str:
        r = self.rng
        sentence = r.choice(self.seed_pool)

        def shift(match: re.Match) -> str:
            value = match.group()
            if len(value) == 4 and value.startswith(("19", "20")):
                return str(int(value) + r.randint(-3, 2))
            return str(max(1, int(value) + r.randint(-5, 9)))

        return re.sub(r"\d+", shift, sentence).replace("东莞", place)

    # --- articles --------------------------------------------------------------------------

    def article(self, number: int) -> tuple[str, list[str]]:
        """The text of one article and questions it answers."""
        r = self.rng
        place = r.choice(PLACES)
        industries = r.sample(INDUSTRIES, 3)
        people = [self.person() for _ in range(3)]
        companies = [self.company(i) for i in industries]
        sections = r.randint(1, 4)
        # About 2,100 characters on average (10 chunks of 300), from short items to long features.
        per_section = max(3, max(12, int(r.gauss(43, 15))) // sections)
        month, day = r.randint(1, 12), r.randint(1, 28)
        year = r.randint(2019, 2025)
        lines = [
            f"{place}{industries[0]}产业观察（{number}）：{r.choice(['抢滩', '布局', '突围', '蓄势', '加速'])}{industries[1]}新赛道",
            f"作者:{self.person()} {r.choice(AUTHORS_ROLE)}{self.person()}",
            f"编辑:{self.person()} {self.person()}",
            f"发布时间:{year}-{month:02d}-{day:02d} {r.randint(7, 22):02d}:{r.randint(0, 59):02d}",
            f"图源:{r.choice(['东莞日报', '南方日报', '受访者供图', '视觉中国', place + '融媒体中心'])}",
        ]
        questions: list[str] = []
        for section in range(sections):
            if sections > 1:
                industry = industries[section % 3]
                lines += [str(section + 1), r.choice(HEADINGS).format(place=place, industry=industry)]
            sentences: list[str] = []
            for _ in range(per_section):
                index = r.randrange(3)
                if r.random() < 0.35:
                    sentences.append(self.varied_seed_sentence(place))
                    continue
                slots = self.slots(place, industries[index], companies[index], people[index])
                template = r.choice(TEMPLATES)
                sentences.append(template.format(**slots))
                if len(questions) < 3 and "{money}" in template and "{year}" in template:
                    questions.append(f"{slots['year']}年{place}{slots['industry']}相关的投资或营业收入是多少亿元？")
                elif len(questions) < 3 and "{person}" in template:
                    questions.append(f"{slots['person']}对{place}发展{slots['industry']}有什么看法？")
            for i in range(0, len(sentences), 3):
                lines.append("".join(sentences[i : i + 3]))
        return "\n".join(lines) + "\n", questions


def write_corpus(folder: Path, chunks: int, *, seed: int = 7, chunk_chars: int = 300, overlap: int = 1,
                 include_seed_article: bool = True) -> Corpus:
    """Write articles into ``folder`` until they hold at least ``chunks`` chunks."""
    folder.mkdir(parents=True, exist_ok=True)
    generator = Generator(seed)
    total_chunks = total_chars = documents = 0
    questions: list[str] = []
    if include_seed_article:
        # The real article is in every bench corpus, so the golden questions stay answerable.
        target = folder / SEED_ARTICLE.name
        target.write_bytes(SEED_ARTICLE.read_bytes())
        total_chunks += _count_chunks(target, chunk_chars, overlap)
        total_chars += len(SEED_ARTICLE.read_text(encoding="utf-8"))
        documents += 1
    number = 0
    while total_chunks < chunks:
        text, asked = generator.article(number)
        # Spread files over sub-folders of 1,000, as a large archive would be.
        path = folder / f"{number // 1000:03d}" / f"article-{number:06d}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        total_chunks += _count_chunks(path, chunk_chars, overlap)
        total_chars += len(text)
        documents += 1
        questions += asked
        number += 1
    return Corpus(folder, documents, total_chunks, total_chars, questions)


def _count_chunks(path: Path, chunk_chars: int, overlap: int) -> int:
    doc_id = path.name
    document = read_document(path, doc_id, path.read_bytes())
    return len(chunk_document(document, chunk_chars, overlap))


def parse_size(text: str) -> int:
    text = text.strip().lower()
    if text.endswith("k"):
        return int(float(text[:-1]) * 1000)
    if text.endswith("m"):
        return int(float(text[:-1]) * 1_000_000)
    return int(text)


def size_label(chunks: int) -> str:
    if chunks >= 1000 and chunks % 1000 == 0:
        return f"{chunks // 1000}k"
    return str(chunks)


if __name__ == "__main__":  # python -m bench.corpus FOLDER CHUNKS: write one and print what it holds
    import sys
    import time

    started = time.perf_counter()
    corpus = write_corpus(Path(sys.argv[1]), parse_size(sys.argv[2]))
    print(f"{corpus.documents} documents, {corpus.chunks} chunks, {corpus.chars} chars "
          f"in {time.perf_counter() - started:.1f}s; {len(corpus.questions)} questions")
