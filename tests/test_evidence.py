"""The evidence signals and filters on the seed article (fake embedder: the cosines here are the
hashing embedder's; what is tested is the logic around them)."""

import pytest

from answer.evidence import (
    RULES, _names, coverage, has_wanted_answer, profile_question, quote_speakers, sentence_context, sentence_features, wanted_kind,
)
from index.lexical import BM25Index
from index.places import Gazetteer
from index.text import Tokenizer

GAZETTEER = Gazetteer("东莞")
RD = "数据显示,在研发投入方面,2022年东莞R&D研发投入占GDP比重4.1%,排名全国第6、全省第2。"
SHANGHAI = "2023年,上海集成电路、生物医药、人工智能三大先导产业规模达到1.6万亿元。"
CLUSTERS = "优先支持下一代移动通信、算力网络、合成生物、氢能、纳米材料、数字空间、低空经济、量子计算、人形机器人等前沿产业在东莞落地,加快培育1—2个规模超百亿元的未来产业集群。"
FIELDS = "其中,可穿戴智能设备制造、智能无人飞行器制造、其他智能消费设备制造和其他电子设备制造领域规上企业营业收入约757亿元,已具备一定产业基础。"


def profile(store, question, english=False):
    return profile_question(question, store.lexical(), store.tokenizer, GAZETTEER, english)


def features(store, question, sentence, english=False, rules=RULES):
    return sentence_features(
        profile(store, question, english), sentence, 0.9, 0.9, store.lexical(), store.tokenizer, GAZETTEER, rules
    )


@pytest.mark.parametrize(
    "question, wants",
    [
        ("东莞计划培育几个未来产业集群？", "count"),
        ("东莞人工智能产业链分为哪几个环节？", None),  # 「哪几个」 asks which, not how many
        ("这几类智能制造企业的营收加起来是多少？", "money"),  # 「这几类」 points at them: no count asked
        ("松狐科技的注册资本是多少？", "money"),  # capital is money: 「成立3年」 does not answer it
        ("中国散裂中子源二期工程什么时候建成？", "time"),
        ("杨代友担任什么职务？", "role"),
        ("王珺是谁？", "role"),
        ("松狐科技的创始人是谁？", "person"),  # who holds a role
        ("谁是广州市社科院现代产业研究所的所长？", "person"),
        ("松狐科技的深度技术合作伙伴是谁？", None),  # who, but no person: an organisation
        ("颠覆性创新需要怎样的管理和资金保障？", None),  # 资金 is the topic; no figure is asked for
        ("东莞每年为AI产业准备了多少真金白银？", "money"),
        ("东莞R&D投入强度在全国排第几？", "rank"),
        ("2022年东莞R&D研发投入占GDP的比重是多少？", "share"),
        ("中国散裂中子源位于东莞哪个镇街？", "place"),
        ("松狐科技在松山湖的哪栋楼办公？", "place"),
        ("邱亮明建议东莞在哪些方面加大扶持？", None),  # 「在哪些方面」 asks for things, not a place
        ("东莞在哪份文件中首次提出九大未来产业？", "document"),
        ("What was Dongguan's total R&D spending in yuan in 2022?", "money"),  # a possessive between
        ("What share of GDP did Dongguan spend on R&D in 2022?", "share"),
        ("What is Guangdong's R&D intensity?", "share"),  # three words between, one of them R&D
        ("How many projects has the neutron source completed?", "count"),
        ("When did Dongguan first name AI a key industry?", "time"),
        ("What was Shenzhen's artificial intelligence industry revenue in 2022?", "money"),  # five words between
        ("What was Dongguan's R&D spending as a share of GDP?", "share"),
        ("What is the maximum funding a research team can get?", "money"),
        ("What help do firms get when they move to Songshan Lake?", None),  # "when" opens a clause: no time asked
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question, wants):
    assert wanted_kind(question) == wants


def test_frame_words_do_not_count_as_topic(fake_store):
    groups = profile(fake_store, "王珺是什么身份？").groups
    assert frozenset(["王珺"]) in groups and frozenset(["身份"]) not in groups


def test_a_yes_or_no_frame_is_not_what_the_question_is_about(fake_store):
    words = {t for group in profile(fake_store, "东莞有没有出台量子产业的政策？").groups for t in group}
    assert "出台" in words and not words & {"有没有", "没有"}
    assert not {t for group in profile(fake_store, "人工智能会不会取代工人？").groups for t in group} & {"会不会", "不会"}


def test_the_kind_of_figure_must_be_the_one_asked_for(fake_store):
    share = profile(fake_store, "2022年东莞R&D研发投入占GDP的比重是多少？")
    money = profile(fake_store, "2022年东莞研发经费投入总额是多少钱？")
    assert has_wanted_answer(share, RD, GAZETTEER) and not has_wanted_answer(money, RD, GAZETTEER)
    count = profile(fake_store, "工信部等几个部门在今年1月印发了实施意见？")
    assert has_wanted_answer(count, "今年1月印发的《工业和信息化部等七部门关于推动未来产业创新发展的实施意见》", GAZETTEER)


def test_a_count_is_of_what_its_measure_word_counts(fake_store):
    chain = "初步形成了产业应用、技术创新、基础软硬件三大环节的人工智能产业链。"
    firms = profile(fake_store, "东莞目前共有多少家人工智能企业？")
    assert not has_wanted_answer(firms, chain, GAZETTEER)  # 三大环节 counts links of a chain, not firms
    assert has_wanted_answer(firms, "东莞已集聚人工智能企业300余家。", GAZETTEER)
    assert has_wanted_answer(firms, "东莞已集聚300个人工智能企业。", GAZETTEER)  # 个 counts anything
    assert has_wanted_answer(profile(fake_store, "产业链分为几大环节？"), chain, GAZETTEER)


POLES = "经过几年的发展,东莞已打造了松山湖和滨海湾两个人工智能创新双极,并大力发展人工智能小镇,多点开花。"


def test_a_count_is_of_the_noun_the_question_counts(fake_store):
    towns = profile(fake_store, "东莞的人工智能小镇一共有几个？")
    assert towns.count_noun == "小镇" and not has_wanted_answer(towns, POLES, GAZETTEER)  # 两个 counts poles
    poles = profile(fake_store, "东莞已经打造了几个人工智能创新极？")
    assert has_wanted_answer(poles, POLES, GAZETTEER)
    projects = profile(fake_store, "散裂中子源投运以来做了多少个课题？")
    assert has_wanted_answer(projects, "中国散裂中子源已总共完成课题1000余项。", GAZETTEER)  # the noun before the figure
    assert profile(fake_store, "一号文定的未来产业集群培育目标是几个？").count_noun == "集群"  # 目标 is the frame
    renamed = profile(fake_store, "中子源运行以来承担了多少个科研任务？")
    assert has_wanted_answer(renamed, "中国散裂中子源已总共完成课题1000余项。", GAZETTEER)  # 课题 may be its 科研任务


def test_an_english_count_of_companies_counts_firms(fake_store):
    chain = "初步形成了产业应用、技术创新、基础软硬件三大环节的人工智能产业链。"
    firms = profile(fake_store, "How many companies have settled in Dongguan's AI towns?", english=True)
    assert firms.counted == "家" and not has_wanted_answer(firms, chain, GAZETTEER)
    assert has_wanted_answer(firms, "东莞已集聚人工智能企业300余家。", GAZETTEER)
    assert not has_wanted_answer(firms, POLES, GAZETTEER)  # 两个 counts innovation poles, not firms
    assert profile(fake_store, "How many links does the chain have?", english=True).counted is None


def test_a_figure_asked_in_a_unit_must_be_in_that_unit(fake_store):
    area = profile(fake_store, "滨海湾人工智能小镇占地多少平方公里？")
    assert area.unit == "平方公里" and not has_wanted_answer(area, POLES, GAZETTEER)  # 两个 poles are no area
    assert has_wanted_answer(area, "滨海湾人工智能小镇规划面积约3.5平方公里。", GAZETTEER)
    english = profile(fake_store, "How many square kilometres does the AI town cover?", english=True)
    assert english.unit == "平方公里" and not has_wanted_answer(english, POLES, GAZETTEER)
    assert profile(fake_store, "东莞要引进多少人才？").unit is None  # 多少人才 asks for no head count
    assert profile(fake_store, "散裂中子源的功率是多少？").unit is None


def test_money_spent_is_not_the_size_of_what_it_is_spent_on(fake_store):
    size = "到2026年,东莞将建成3个低空经济应用示范区,低空经济相关产业规模力争突破500亿元。"
    budget = "每年拿出3亿元资金,瞄准各细分领域的全球、全国前20强开展精准招商。"
    investment = profile(fake_store, "东莞三个低空经济示范区计划总投资多少钱？")
    assert not has_wanted_answer(investment, size, GAZETTEER) and has_wanted_answer(investment, budget, GAZETTEER)
    english = profile(fake_store, "What is the planned total investment in the demonstration zones?", english=True)
    assert not has_wanted_answer(english, size, GAZETTEER)
    scale = profile(fake_store, "东莞低空经济产业规模有多大？")
    assert has_wanted_answer(scale, size, GAZETTEER) and not has_wanted_answer(scale, budget, GAZETTEER)
    assert has_wanted_answer(profile(fake_store, "东莞在这方面花了多少钱？"), size, GAZETTEER)  # no measure named
    grant = "对落地的人才团队按项目给予最高3000万元资助。"
    assert has_wanted_answer(profile(fake_store, "What is the maximum funding a talent team can get?", english=True), grant, GAZETTEER)


def test_a_place_the_question_names_is_not_where_it_is(fake_store):
    where = profile(fake_store, "中国散裂中子源位于东莞哪个镇街？")
    assert not has_wanted_answer(where, "中国散裂中子源是国家基础研究和东莞科技创新的重要支撑平台。", GAZETTEER)
    assert has_wanted_answer(where, "中国散裂中子源位于东莞大朗镇。", GAZETTEER)
    park = profile(fake_store, "广东松狐科技有限公司落户在东莞哪个片区？")
    assert has_wanted_answer(park, "广东松狐科技有限公司是一家位于松山湖的人工智能领域企业。", GAZETTEER)


def test_an_abbreviation_counts_as_the_words_it_stands_for(fake_store):
    lexical = fake_store.lexical()
    assert "人工智能" in lexical.english.aliases("ai") and "ai" in lexical.english.aliases("人工智能")
    asked = profile(fake_store, "东莞AI产业链上中下游包括哪些部分？")
    assert any({"ai", "人工智能"} <= group for group in asked.groups)
    chain = "东莞人工智能产业链已初步形成基础层、技术层和应用层的全产业链条。"
    assert features(fake_store, "东莞AI产业链上中下游包括哪些部分？", chain)["lex"] > features(
        fake_store, "东莞AI产业链上中下游包括哪些部分？", chain.replace("人工智能", "智能")
    )["lex"]
    # The word asked weighs what it weighs, not what its rarer other name does.
    written = profile(fake_store, "东莞人工智能产业规模多大？")
    weight = next(w for g, w in zip(written.groups, written.weights) if "人工智能" in g)
    assert weight == pytest.approx(lexical.term_idf("人工智能")) and weight < lexical.term_idf("ai")


def test_words_a_follow_up_carries_from_the_conversation_weigh_less(fake_store):
    lexical = fake_store.lexical()
    carried = "王珺说今后三到五年未来产业重点围绕技术，"
    query = carried + "为什么东莞要先发展好这些技术？"
    sentence = "因此东莞要率先发展好上述基础技术,才能提高全要素生产率。"
    as_one = profile_question(query, lexical, fake_store.tokenizer, GAZETTEER, False)
    follow_up = profile_question(query, lexical, fake_store.tokenizer, GAZETTEER, False, carried=carried)
    weight = {next(iter(g)): w for g, w in zip(follow_up.groups, follow_up.weights) if len(g) == 1}
    assert weight["王珺"] == pytest.approx(lexical.term_idf("王珺") / 2)
    assert weight["东莞"] == pytest.approx(lexical.term_idf("东莞"))  # asked now
    tokens = set(fake_store.tokenizer.token_set(sentence))
    assert coverage(follow_up, tokens) > coverage(as_one, tokens)


def test_an_amount_the_question_names_is_not_its_answer(fake_store):
    named = profile(fake_store, "广东五项计划中“链主”企业的目标数量是多少家？")
    assert not has_wanted_answer(named, "在这方面,广东发布的五项计划中便提出“‘链主’企业先行”的思路。", GAZETTEER)
    same_number = profile(fake_store, "中国散裂中子源完成的1000余项课题中，量子领域的课题有多少项？")
    assert not has_wanted_answer(same_number, "中国散裂中子源已总共完成课题1000余项。", GAZETTEER)


def test_the_year_asked_about_must_be_the_sentences(fake_store):
    assert features(fake_store, "2022年东莞R&D研发投入占GDP比重是多少？", RD) is not None
    assert features(fake_store, "2023年东莞R&D研发投入占GDP比重是多少？", RD) is None
    assert features(fake_store, "2023年东莞R&D研发投入占GDP比重是多少？", RD, rules=("place", "list")) is not None


def test_a_figure_about_another_place_is_not_evidence(fake_store):
    assert features(fake_store, "北京2022年R&D研发投入占GDP的比重是多少？", RD) is None
    assert features(fake_store, "2023年东莞三大先导产业规模达到多少？", SHANGHAI) is None
    assert features(fake_store, "2023年上海三大先导产业规模达到多少？", SHANGHAI) is not None
    assert features(fake_store, "How large were Shanghai's three leading industries in 2023?", SHANGHAI, english=True) is not None
    assert features(fake_store, "How large were Beijing's three leading industries in 2023?", SHANGHAI, english=True) is None


def test_a_question_about_what_only_another_place_has_implies_no_home():
    # Rule 2 reads a question naming no place as the home's, unless what it asks about is only
    # ever written of elsewhere: no chunk naming 东莞 names the 皖江 neutron source.
    hefei = "2月26日,位于合肥的皖江强流中子源打靶束流功率达到120kW并实现稳定运行。"
    home = "3月4日,东莞的中国散裂中子源打靶束流功率达到160kW。"
    tokenizer = Tokenizer()
    lexical = BM25Index.build(["h", "d"], [tuple(tokenizer.tokenize(hefei)), tuple(tokenizer.tokenize(home))])

    def found(question):
        asked = profile_question(question, lexical, tokenizer, GAZETTEER, False)
        return sentence_features(asked, hefei, 0.9, 0.9, lexical, tokenizer, GAZETTEER)

    assert found("皖江强流中子源的束流功率达到了多少？") is not None
    assert found("东莞的皖江强流中子源束流功率达到了多少？") is None  # the home named: 合肥's figure is not its
    assert found("中子源的束流功率达到了多少？") is None  # 东莞's neutron source has it too


def test_an_item_of_a_list_is_not_what_the_lists_figure_measures(fake_store):
    assert features(fake_store, "东莞低空经济产业的规模有多大？", CLUSTERS) is None
    assert features(fake_store, "东莞计划培育几个规模超百亿元的未来产业集群？", CLUSTERS) is not None
    assert features(fake_store, "东莞智能无人飞行器制造领域的营收是多少？", FIELDS) is None
    assert features(fake_store, "东莞可穿戴智能设备、智能无人飞行器等制造领域的营业收入约为多少？", FIELDS) is not None
    assert features(fake_store, "东莞低空经济产业的规模有多大？", CLUSTERS, rules=("year", "place")) is not None


AI_REVENUE = "相关数据显示,2022年东莞人工智能产业规模以上企业营业收入约996亿元。"
SONGHU = "企业相关负责人邱亮明表示,落地松山湖主要基于松山湖的科创和人才优势。"


def test_sharing_only_where_and_when_is_no_evidence(fake_store):
    # Rule 4: the setting (places, years) is not what the question asks about it.
    assert features(fake_store, "2022年东莞地区生产总值是多少？", AI_REVENUE) is None
    assert features(fake_store, "松山湖附近有什么好吃的餐厅？", SONGHU) is None  # 松山湖 and its pieces 松山, 山湖
    assert features(fake_store, "What was Dongguan's population in 2022?", AI_REVENUE, english=True) is None
    assert features(fake_store, "2022年东莞人工智能企业赚了多少钱？", AI_REVENUE) is not None
    assert features(fake_store, "How big was Dongguan's AI industry in 2022?", AI_REVENUE, english=True) is not None
    assert features(fake_store, "2022年东莞地区生产总值是多少？", AI_REVENUE, rules=("year", "place", "list")) is not None


def test_the_setting_of_a_list_is_not_one_of_its_items(fake_store):
    # 上海 opens the list's first item (「上海集成电路」); a question about 上海's 生物医药 names no other item.
    assert features(fake_store, "2023年上海生物医药产业规模是多少？", SHANGHAI) is None
    assert features(fake_store, "2023年上海人工智能产业单独的规模是多少？", SHANGHAI) is None  # 三大 closes the list
    assert features(fake_store, "2023年上海三大先导产业规模达到多少？", SHANGHAI) is not None


def test_a_list_item_is_named_by_any_of_its_rarest_words(fake_store):
    # 智能无人飞行器制造's rarest words tie (无人, 飞行, 飞行器 …); the question names 无人. Picking one of
    # equals left it to the hash seed whether rule 3 dropped the 757亿元 sentence.
    question = "东莞穿戴设备、无人机这类智能硬件的营收是多少？"
    assert _names(profile(fake_store, question), "智能无人飞行器制造", fake_store.lexical(), fake_store.tokenizer)
    assert features(fake_store, question, FIELDS) is not None


SONGSHAN_CHAIN = (
    "松山湖定位东莞人工智能原始创新高地,近年来涌现出了如花瓣云、微云、国云等在内的大数据企业以及一批人工智能细分领域的优质企业,"
    "初步形成了产业应用、技术创新、基础软硬件三大环节的人工智能产业链。"
)


def test_a_figure_written_in_chinese_numerals_in_the_subjects_own_item_is_its_figure(fake_store):
    # Rule 3 lets a list through when the figure sits in the item the question asks about:
    # 「三大环节的…产业链」 holds 三大 as 「全国前20强开展精准招商」 holds 20.
    assert features(fake_store, "松山湖形成了几大环节的产业链？", SONGSHAN_CHAIN) is not None
    assert features(fake_store, "松山湖形成了几大环节的产业链？", SONGSHAN_CHAIN, rules=("list",))["type_ok"] == 1.0


def test_a_sentence_opening_with_qizhong_is_set_where_and_when_the_one_before_is(fake_store):
    context = sentence_context(FIELDS, AI_REVENUE, fake_store.tokenizer, GAZETTEER)
    assert {"2022年", "东莞"} <= context and "人工智能" not in context  # the setting, not the topic
    assert sentence_context(AI_REVENUE, RD, fake_store.tokenizer, GAZETTEER) == frozenset()
    question = "2022年东莞可穿戴智能设备制造领域的营收是多少？"
    assert features(fake_store, question, FIELDS) is None  # rule 1: no year written in it
    assert sentence_features(profile(fake_store, question), FIELDS, 0.9, 0.9, fake_store.lexical(), fake_store.tokenizer,
                             GAZETTEER, RULES, context=context) is not None


YANG = "广州市社科院现代产业研究所所长杨代友认为,它是通过颠覆性创新再造产业基础,实现跨越式提级。"


def test_who_holds_a_role_needs_that_role_and_its_place(fake_store):
    assert features(fake_store, "松狐科技的负责人是谁？", SONGHU)["type_ok"] == 1.0
    assert features(fake_store, "松狐科技的创始人是谁？", SONGHU)["type_ok"] == 0.0  # 负责人 is no founder
    assert features(fake_store, "广州市社科院现代产业研究所的所长是谁？", YANG) is not None
    assert features(fake_store, "深圳市社科院现代产业研究所的所长是谁？", YANG) is None  # rule 2


def test_places_come_from_whole_words(fake_store):
    assert GAZETTEER.in_text("东莞每年为AI产业准备了多少真金白银？") == frozenset()  # 白银 is a city, not here
    assert GAZETTEER.in_text("东莞已打造了松山湖和滨海湾两个人工智能创新双极") == frozenset()
    assert GAZETTEER.in_text("广东省社科院与上海市") == {"广东", "上海"}
    assert GAZETTEER.in_english("What about Guangdong and Shanghai, not Dongguan?") == [{"广东"}, {"上海"}]


def test_an_english_question_is_measured_through_its_translations(fake_store):
    english = profile(fake_store, "What beam power did the China Spallation Neutron Source reach?", english=True)
    assert any("功率" in group for group in english.groups) and english.known
    found = features(fake_store, "What beam power did the China Spallation Neutron Source reach?",
                     "3月4日,中国散裂中子源打靶束流功率达到160kW并实现稳定供束运行,超过设计指标60%。", english=True)
    assert found["lex"] > 0.5 and found["english"] == 1.0


def test_a_question_resting_on_unknown_words_knows_little(fake_store):
    assert profile(fake_store, "松狐科技的注册资本是多少？").known_share < profile(fake_store, "松狐科技与谁签署了合作？").known_share


def test_a_quotation_is_said_by_the_person_named_before_or_after_it(fake_store):
    tokenizer = fake_store.tokenizer
    after = "“因此东莞要率先发展好上述基础技术,才能提高全要素生产率,促进产业发展。”王珺表示。"
    before = "企业相关负责人邱亮明表示,落地松山湖主要基于松山湖的科创和人才优势。“松山湖高新技术企业云集,以华为的落地为基础。”"
    plain = "“这是一段没有说话人的引文,前后都没有提到是谁说的,只是一段话。”东莞发展很快。"
    name = "东莞在政府“一号文”中,对发展未来产业首次做出了明确规划。王珺表示同意。"
    assert quote_speakers(after, tokenizer) == ((0, after.index("王珺"), frozenset({"王珺"})),)
    ((start, _, terms),) = quote_speakers(before, tokenizer)
    assert start == before.index("“") and terms and all(t in "邱亮明" for t in terms)
    assert quote_speakers(plain, tokenizer) == () and quote_speakers(name, tokenizer) == ()  # no speaker; a name in quotes
    inside = after[1:after.index("。") + 1]
    question = "王珺认为东莞要先发展好什么技术？"
    alone = features(fake_store, question, inside)
    said = sentence_features(profile(fake_store, question), inside, 0.9, 0.9, fake_store.lexical(), tokenizer, GAZETTEER,
                             RULES, context=frozenset({"王珺"}))
    assert said["lex"] > alone["lex"] and said["missing"] <= alone["missing"]


def test_the_place_a_rank_is_taken_in_is_its_scope_not_whose_figure_it_is(fake_store):
    assert profile(fake_store, "东莞R&D研发投入占GDP比重，这个比例在广东排第几？").places == ()
    assert features(fake_store, "这个比例在广东排第几？", RD) is not None  # 全省第2: the figure is 东莞's
    both = profile(fake_store, "深圳的研发强度在全国和广东分别排第几？")
    assert both.places == (frozenset({"深圳"}),)  # whose figure is ranked still has to be named
    english = profile(fake_store, "How does Shenzhen's R&D intensity rank in Guangdong?", english=True)
    assert [sorted(p) for p in english.places] == [["深圳"]]
    assert profile(fake_store, "广东的研发投入占GDP比重是多少？").places == (frozenset({"广东"}),)  # no rank: 广东's own


def test_a_follow_up_asks_what_it_asks_now_not_what_its_carried_subject_asked(fake_store):
    carried = "上海三大先导产业2023年规模多大，"
    question = carried + "这些产业在哪些领域形成了较完整的产业链条？"
    assert profile_question(question, fake_store.lexical(), fake_store.tokenizer, GAZETTEER, False, carried=carried).wants is None
    assert profile(fake_store, question).wants == "money"  # asked as one question, 规模多大 asks for a size


def test_money_a_company_raised_is_not_money_a_city_spends(fake_store):
    raised = profile(fake_store, "佛山智擎机器人首轮融资金额是多少？")  # 融资金额 holds 资金, and still asks what was raised
    assert not has_wanted_answer(raised, "佛山每年拿出2亿元资金,瞄准全国前30强机器人企业开展精准招商。", GAZETTEER)
    assert has_wanted_answer(raised, "智擎机器人去年完成首轮融资5000万元。", GAZETTEER)
    assert has_wanted_answer(profile(fake_store, "东莞每年拿出多少资金用于招商？"), "东莞每年拿出3亿元资金开展精准招商。", GAZETTEER)


def test_a_deadline_asked_is_answered_by_a_deadline_not_by_when_something_was_said(fake_store):
    by_when = profile(fake_store, "东莞一号文要求在哪一年之前培育出1-2个超百亿元的未来产业集群？")
    assert by_when.wants == "time" and by_when.deadline
    assert not has_wanted_answer(by_when, "2024年东莞通过政府“一号文”,明确表示要发展九大未来产业。", GAZETTEER)
    assert has_wanted_answer(by_when, "到2026年,东莞将建成3个低空经济应用示范区。", GAZETTEER)
    assert has_wanted_answer(profile(fake_store, "这份规划一直规划到哪一年？"), "《东莞市新一代人工智能发展规划(2019—2030年)》", GAZETTEER)
    english = profile(fake_store, "By when must Dongguan build its future industry clusters?", english=True)
    assert english.deadline and not has_wanted_answer(english, "2024年东莞通过政府“一号文”,明确表示要发展九大未来产业。", GAZETTEER)
    when = profile(fake_store, "东莞哪一年提出发展量子信息产业？")  # when it was said: any date answers
    assert not when.deadline and has_wanted_answer(when, "东莞早于2021年在相关会议上已经提出要发展量子信息产业。", GAZETTEER)


def test_a_carried_year_scopes_a_figure_asked_now_but_not_a_document(fake_store):
    def anchors(carried, asked):
        return profile_question(carried + asked, fake_store.lexical(), fake_store.tokenizer, GAZETTEER, False, carried=carried).anchors

    assert "2022年" in anchors("2022年东莞人工智能产业规上营收，", "其中智能硬件制造这几块占了多少？")
    assert anchors("广东2月宣布培育未来产业集群，", "那国家层面出了什么文件？") == frozenset()
    assert "2月" in profile(fake_store, "广东2月宣布培育未来产业集群，那国家层面出了什么文件？").anchors  # asked as one question
