"""Card labels in each language, as `docs/CARD.md` specifies them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.support.config import Language


@dataclass(frozen=True, slots=True)
class CardLabels:
    favorite: str
    share: str
    authors: str
    category: str
    published: str
    updated: str
    comments: str
    code: str
    takeaway: str
    topics: str
    keywords: str
    key_points: str
    translated_abstract: str | None
    method: str
    method_parts: tuple[str, str, str, str, str]
    experiments: str
    applications: str
    abstract: str
    no_experiments: str
    no_translation: str
    late: str
    late_note: str


CARD_LABELS: dict[Language, CardLabels] = {
    "zh": CardLabels(
        favorite="☆ 收藏",
        share="🔗 分享",
        authors="作者",
        category="分类",
        published="发布日期",
        updated="更新",
        comments="备注",
        code="🔗 代码/项目",
        takeaway="💡 一句话要点",
        topics="🎯 匹配领域",
        keywords="关键词",
        key_points="📋 核心要点",
        translated_abstract="📝 摘要（中文）",
        method="🔬 方法详解",
        method_parts=("问题定义", "核心思路", "技术框架", "关键创新", "关键设计"),
        experiments="📊 实验亮点",
        applications="🎯 应用场景",
        abstract="📄 摘要（原文）",
        no_experiments="摘要未报告实验结果。",
        no_translation="（离线摘要器不做翻译；设置 LLM_BASE_URL 和 LLM_MODEL 后生成中文摘要。）",
        late="⏰ 迟到",
        late_note="arXiv 的订阅源漏掉了这篇论文；paperbell 核对公告时找到并补发。",
    ),
    "en": CardLabels(
        favorite="☆ Favorite",
        share="🔗 Share",
        authors="Authors",
        category="Category",
        published="Published",
        updated="updated",
        comments="Comments",
        code="🔗 Code/Project",
        takeaway="💡 One-line takeaway",
        topics="🎯 Matched topics",
        keywords="Keywords",
        key_points="📋 Key points",
        translated_abstract=None,
        method="🔬 Method",
        method_parts=("Problem", "Core idea", "Framework", "Key innovation", "Key design"),
        experiments="📊 Experiment highlights",
        applications="🎯 Applications",
        abstract="📄 Abstract",
        no_experiments="The abstract reports no experiments.",
        no_translation="",
        late="⏰ Late",
        late_note="arXiv's feed left this paper out of its mailing; paperbell's audit "
        "found it afterwards.",
    ),
}
