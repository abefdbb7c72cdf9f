# language: zh-CN
功能: 政府购买社会组织服务
  街道通过需求调研、立项、预算、依法采购、分年签订合同、绩效监控与评价，向社会组织购买社区服务
  （domain.md §5）。外部系统（预算批复、财政部门批复、供需对接平台、国库支付、质疑与投诉）以消息往来。

  背景:
    假如 今天是 2025-01-20
    而且 案件在 "华阳路街道" 办理
    而且 申请组织是演示组织 1

  场景: 三年期为老服务项目按竞争性磋商采购、授标、签约并公告（§5.6 场景1）
    当 "街道购买服务项目经办人" 发起 "政府购买社会组织服务" 流程
    而且 "街道购买服务项目经办人" 办理 "需求调研"：
      | 字段                   | 值                                 |
      | needsSummary           | 辖区独居老人300人，需要上门探访与助餐 |
      | surveyMethods          | ["问卷调查", "居委会座谈"]           |
      | residentCommitteeInput | 各居委会反映独居老人助餐需求集中       |
      | beneficiaryCount       | 300                                |
    而且 "街道购买服务项目经办人" 办理 "项目立项申请"：
      | 字段                   | 值                                        |
      | projectName            | 华阳路街道独居老人关爱服务项目                |
      | serviceCategory        | 养老服务                                   |
      | catalogueItemCode      | SQ-01                                     |
      | serviceContent         | 为辖区300名独居老人提供上门探访、助餐和应急援助服务 |
      | budgetYuan             | "600000.00"                               |
      | fundSource             | 一般公共预算                                |
      | awardTermYears         | 3                                         |
      | multiYearConditionsMet | true                                      |
      | specialCase            | 无                                         |
      | preferredMethod        | AUTO                                      |
    而且 "街道购买服务项目经办人" 办理 "事前绩效评估"：
      | 字段               | 值                                                                        |
      | necessity          | 独居老人需求集中                                                            |
      | feasibility        | 辖区有多家为老服务社会组织                                                    |
      | performanceTargets | [{"indicator": "上门探访人次", "kind": "产出", "target": "≥3600人次"}] |
      | conclusion         | 建议立项                                                                   |
    而且 "街道领导" 办理 "领导集体决策立项"：
      | approved    | true       |
      | meetingDate | 2025-01-20 |
    而且 "街道财务人员" 办理 "预算审核"：
      | budgetSubject | 2080299 其他民政管理事务支出 |
    那么 已向外发出消息 "purchase_budget_request"
    当 收到消息 "purchase_budget_decided"：
      | approved | true           |
      | budgetRef | 长财预〔2025〕1号 |
    那么 "街道购买服务项目经办人" 的待办中有 "公开采购意向"
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-001 |
    那么 "采购代理机构" 的待办中没有 "发布采购公告"
    当 过了 42 天
    那么 "采购代理机构" 的待办中有 "发布采购公告"
    当 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-001 |
    那么 已向外发出消息 "purchase_procurement_notice"
    而且 审计记录中有 "message_sent"，内容包含 ""procurementMethod": "COMPETITIVE_CONSULTATION""
    而且 审计记录中有 "message_sent"，内容包含 ""responseDeadline": "2025-03-13""
    当 过了 10 天
    那么 "采购代理机构" 的待办中没有 "登记投标（响应）文件并资格审查"
    当 过了 1 天
    那么 "采购代理机构" 的待办中有 "登记投标（响应）文件并资格审查"
    当 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "580000.00", "compliant": true}, {"supplierName": "新华路街道邻里互助协会", "supplierUscc": "51310105MJ4Y2K7AXU", "supplierType": "社会团体", "assessmentGrade": "3A", "priceYuan": "590000.00", "compliant": true}, {"supplierName": "上海某物业服务有限公司", "supplierUscc": "91330100716105852F", "supplierType": "企业", "assessmentGrade": "无", "priceYuan": "560000.00", "compliant": true}] |
    而且 "评审小组" 办理 "评审打分"：
      | panelSize   | 5 |
      | expertCount | 4 |
      | scores      | [{"supplierUscc": "52310105MJ12345020", "score": 92.5}, {"supplierUscc": "51310105MJ4Y2K7AXU", "score": 85}, {"supplierUscc": "91330100716105852F", "score": 88}] |
    那么 "确认中标（成交）供应商" 的办理期限是 2025-03-21
    当 "街道购买服务项目经办人" 办理 "确认中标（成交）供应商"：
      | confirmationOpinion | 同意评审排序第一的华阳社区睦邻服务社成交 |
    那么 "发布中标（成交）结果公告" 的办理期限是 2025-03-18
    当 "采购代理机构" 办理 "发布中标（成交）结果公告"：
      | awardNoticeRef | CJ-2025-001 |
    那么 审计记录中有 "message_sent"，内容包含 ""winnerName": "华阳社区睦邻服务社""
    而且 "承接社会组织" 的待办中没有 "签署年度服务合同"
    当 过了 7 个工作日
    那么 "承接社会组织" 的待办中有 "签署年度服务合同"
    而且 "签署年度服务合同" 的办理期限是 2025-04-14
    当 "承接社会组织" 办理 "签署年度服务合同"：
      | contractNo | HT-2025-01    |
      | amountYuan | "580000.00"   |
      | termStart  | 2025-04-01    |
      | termEnd    | 2026-03-31    |
    那么 "公告合同" 的办理期限是 2025-03-28
    当 "街道购买服务项目经办人" 办理 "公告合同"：
      | contractPublishRef | GG-2025-01 |
    那么 已向外发出消息 "purchase_contract_published"
    而且 "合同备案" 的办理期限是 2025-04-07
    当 "街道购买服务项目经办人" 办理 "合同备案"：
      | filingRef | BA-2025-01 |
    那么 "街道财务人员" 的待办中有 "支付首期款"
    当 "街道财务人员" 办理 "支付首期款"：
      | voucherNo | GK-2025-0001 |
    那么 审计记录中有 "message_sent"，内容包含 ""amountYuan": "232000.00""
    而且 "承接社会组织" 的待办中有 "提交监测报告"
    而且 案件状态为 "办理中"

  场景: 第一年绩效良好且下一年度预算获批，续签合同无须重新采购，三年全部完成（§5.6 场景2）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成采购，成交供应商为演示组织 1
    而且 第 1 年度合同已签订、公告、备案并支付首期款
    而且 本年度监测报告均正常
    当 "第三方评估机构" 办理 "年度绩效评价"：
      | totalScore        | 86         |
      | satisfactionRate  | 92         |
      | evaluationSummary | 指标基本完成 |
    而且 "街道财务人员" 办理 "年度结算支付"：
      | voucherNo | GK-2026-0002 |
    那么 审计记录中有 "message_sent"，内容包含 ""amountYuan": "348000.00""
    而且 已向外发出消息 "purchase_next_budget_request"
    而且 "承接社会组织" 的待办中没有 "签署年度服务合同"
    当 收到消息 "purchase_next_budget_decided"：
      | approved | true |
    那么 "承接社会组织" 的待办中有 "签署年度服务合同"
    而且 "采购代理机构" 的待办中没有 "发布采购公告"
    假如 第 2 年度合同已签订、公告、备案并支付首期款
    而且 本年度监测报告均正常
    而且 本年度绩效评价为 91 分并已结算
    当 收到消息 "purchase_next_budget_decided"：
      | approved | true |
    假如 第 3 年度合同已签订、公告、备案并支付首期款
    而且 本年度监测报告均正常
    而且 本年度绩效评价为 88 分并已结算
    那么 已向外发出消息 "purchase_supplier_record"
    当 "街道购买服务项目经办人" 办理 "结果运用与归档"：
      | archiveRef | DA-2028-001 |
    那么 案件以 "COMPLETED_ALL_YEARS" 结束

  场景: 第二年绩效为差：不再续签、扣留尾款、记录整改并提请重新采购（§5.6 场景3）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成采购，成交供应商为演示组织 1
    而且 第 1 年度合同已签订、公告、备案并支付首期款
    而且 本年度监测报告均正常
    而且 本年度绩效评价为 86 分并已结算
    当 收到消息 "purchase_next_budget_decided"：
      | approved | true |
    假如 第 2 年度合同已签订、公告、备案并支付首期款
    而且 本年度监测报告均正常
    当 "第三方评估机构" 办理 "年度绩效评价"：
      | totalScore        | 55               |
      | satisfactionRate  | 58               |
      | evaluationSummary | 多项产出指标未完成 |
    而且 "街道财务人员" 办理 "年度结算支付"：
      | voucherNo | GK-2027-0002 |
    那么 审计记录中有 "message_sent"，内容包含 ""withheldYuan": "174000.00""
    而且 审计记录中有 "message_sent"，内容包含 "绩效评价为差，依合同扣留尾款"
    而且 已向外发出消息 "purchase_reprocurement_requested"
    而且 审计记录中有 "message_sent"，内容包含 "年度绩效评价为差"
    而且 "承接社会组织" 的待办中没有 "签署年度服务合同"
    当 "街道购买服务项目经办人" 办理 "结果运用与归档"：
      | archiveRef | DA-2027-001 |
    那么 案件以 "ENDED_EARLY_POOR_PERFORMANCE" 结束

  场景: 公开招标合格供应商不足三家即废标，改用竞争性谈判须经财政部门批准（§5.6 场景4）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "1500000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-002 |
    而且 过了 30 天
    而且 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-002 |
    那么 审计记录中有 "message_sent"，内容包含 ""procurementMethod": "PUBLIC_TENDER""
    当 过了 21 天
    而且 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "1450000.00", "compliant": true}, {"supplierName": "新华路街道邻里互助协会", "supplierUscc": "51310105MJ4Y2K7AXU", "supplierType": "社会团体", "assessmentGrade": "3A", "priceYuan": "1480000.00", "compliant": true}, {"supplierName": "上海某物业服务有限公司", "supplierUscc": "91330100716105852F", "supplierType": "企业", "assessmentGrade": "无", "priceYuan": "1300000.00", "compliant": false, "nonComplianceReason": "未提供社保缴纳证明"}] |
    那么 已向外发出消息 "purchase_tender_failed"
    而且 审计记录中有 "message_sent"，内容包含 "符合条件的供应商不足3家（实有2家），依法废标"
    而且 审计记录中有 "message_sent"，内容包含 "上海某物业服务有限公司"
    而且 "评审小组" 的待办中没有 "评审打分"
    当 "街道购买服务项目经办人" 办理 "废标后处理"：
      | nextStep        | 重新采购                     |
      | requestedMethod | COMPETITIVE_NEGOTIATION     |
      | reason          | 公开招标失败，服务需求紧迫      |
    那么 已向外发出消息 "purchase_method_approval_request"
    而且 "采购代理机构" 的待办中没有 "发布采购公告"
    当 收到消息 "purchase_method_approval_decided"：
      | approved    | true            |
      | approvalRef | 长财采〔2025〕8号 |
    那么 "采购代理机构" 的待办中有 "发布采购公告"
    当 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网      |
      | platformListingId | GXPT-2025-002-2 |
    那么 审计记录中有 "message_sent"，内容包含 ""procurementMethod": "COMPETITIVE_NEGOTIATION""
    而且 审计记录中有 "message_sent"，内容包含 ""responseDeadline": "2025-03-17""

  场景: 社会组织与企业得分相同、报价相同（同等条件）时优先社会组织并记录理由（§5.6 场景5）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-003 |
    而且 过了 30 天
    而且 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-003 |
    而且 过了 13 天
    而且 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "上海某物业服务有限公司", "supplierUscc": "91330100716105852F", "supplierType": "企业", "assessmentGrade": "无", "priceYuan": "580000.00", "compliant": true}, {"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "580000.00", "compliant": true}, {"supplierName": "新华路街道邻里互助协会", "supplierUscc": "51310105MJ4Y2K7AXU", "supplierType": "社会团体", "assessmentGrade": "3A", "priceYuan": "590000.00", "compliant": true}] |
    而且 "评审小组" 办理 "评审打分"：
      | panelSize   | 4 |
      | expertCount | 4 |
      | scores      | [{"supplierUscc": "91330100716105852F", "score": 88.5}, {"supplierUscc": "52310105MJ12345020", "score": 88.50}] |
    # 评审小组须为单数（政府采购法第三十八条），须重新组建评审
    那么 "评审小组" 的待办中有 "评审打分"
    而且 "街道购买服务项目经办人" 的待办中没有 "确认中标（成交）供应商"
    当 "评审小组" 办理 "评审打分"：
      | panelSize   | 5 |
      | expertCount | 4 |
      | scores      | [{"supplierUscc": "91330100716105852F", "score": 88.5}, {"supplierUscc": "52310105MJ12345020", "score": 88.50}, {"supplierUscc": "51310105MJ4Y2K7AXU", "score": 80}] |
    而且 "街道购买服务项目经办人" 办理 "确认中标（成交）供应商"：
      | confirmationOpinion | 同分，按同等条件下优先向社会组织购买的规则确认 |
    而且 "采购代理机构" 办理 "发布中标（成交）结果公告"：
      | awardNoticeRef | CJ-2025-003 |
    那么 审计记录中有 "message_sent"，内容包含 ""winnerName": "华阳社区睦邻服务社""
    而且 审计记录中有 "message_sent"，内容包含 ""tieBreakReason": "同等条件下优先向社会组织购买""

  场景: 备案的社区群众活动团队没有统一社会信用代码，不能投标（§5.6 场景6）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-004 |
    而且 过了 30 天
    而且 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-004 |
    而且 过了 13 天
    而且 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "580000.00", "compliant": true}, {"supplierName": "华阳社区夕阳红舞蹈队（备案团体）", "priceYuan": "300000.00", "compliant": true}] |
    那么 办理被拒绝，提示包含 "供应商须具有独立承担民事责任的能力"
    而且 "采购代理机构" 的待办中有 "登记投标（响应）文件并资格审查"

  场景: 成交通知后30日未签合同，升级由经办人记录正当理由延期或中标人放弃（§5.6 场景7）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成评审，演示组织 1 排名第一并经采购人确认
    而且 今天是 2025-04-01
    当 "采购代理机构" 办理 "发布中标（成交）结果公告"：
      | awardNoticeRef | CJ-2025-007 |
    而且 过了 7 个工作日
    那么 "承接社会组织" 的待办中有 "签署年度服务合同"
    # 2025-04-01 起算30日的末日 05-01 是劳动节假期，顺延至假期后第一日 05-06（民法典第二百零三条）
    而且 "签署年度服务合同" 的办理期限是 2025-05-06
    当 过了 24 天
    那么 "街道购买服务项目经办人" 的待办中没有 "处理合同签订超期"
    当 过了 1 天
    那么 审计记录中有 "timer_fired"
    而且 "街道购买服务项目经办人" 的待办中有 "处理合同签订超期"
    而且 "承接社会组织" 的待办中没有 "签署年度服务合同"
    当 "街道购买服务项目经办人" 办理 "处理合同签订超期"：
      | overdueDecision | 有正当理由延期                         |
      | overdueReason   | 成交供应商理事会换届，法定代表人变更登记中 |
      | newDeadline     | 2025-05-20                            |
    那么 "承接社会组织" 的待办中有 "签署年度服务合同"
    而且 "签署年度服务合同" 的办理期限是 2025-05-20
    当 过了 14 天
    那么 "街道购买服务项目经办人" 的待办中有 "处理合同签订超期"
    当 "街道购买服务项目经办人" 办理 "处理合同签订超期"：
      | overdueDecision | 中标人放弃签订                   |
      | overdueReason   | 成交供应商书面表示放弃，不再签订合同 |
    那么 已向外发出消息 "purchase_winner_liability"
    而且 案件以 "CONTRACT_NOT_SIGNED" 结束

  场景: 质疑7个工作日内未答复即督办；投诉处理与暂停采购期间不能签订合同（§5.6 场景8）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成评审，演示组织 1 排名第一并经采购人确认
    而且 今天是 2025-04-01
    当 "采购代理机构" 办理 "发布中标（成交）结果公告"：
      | awardNoticeRef | CJ-2025-008 |
    而且 过了 3 个工作日
    而且 收到消息 "purchase_challenge_received"：
      | challenger | 新华路街道邻里互助协会 |
      | content    | 对评分结果有异议       |
    那么 "街道购买服务项目经办人" 的待办中有 "答复质疑"
    而且 "答复质疑" 的办理期限是 2025-04-17
    当 过了 7 个工作日
    那么 "街道领导" 的待办中有 "督办：质疑答复超期"
    而且 "街道购买服务项目经办人" 的待办中有 "答复质疑"
    当 "街道购买服务项目经办人" 办理 "答复质疑"：
      | answerText      | 评分符合采购文件规定，质疑不成立 |
      | challengeUpheld | false                       |
    那么 已向外发出消息 "purchase_challenge_answered"
    而且 "承接社会组织" 的待办中有 "签署年度服务合同"
    当 收到消息 "purchase_complaint_filed"：
      | complainant | 新华路街道邻里互助协会 |
      | content     | 对质疑答复不满意       |
    那么 "承接社会组织" 的待办中没有 "签署年度服务合同"
    当 "区财政局采购监管人员" 办理 "投诉处理决定"：
      | suspendProcurement | true                 |
      | suspendDays        | 20                   |
      | complaintUpheld    | false                |
      | decisionText       | 投诉缺乏事实依据，驳回投诉 |
    那么 "承接社会组织" 的待办中没有 "签署年度服务合同"
    当 过了 20 天
    那么 "承接社会组织" 的待办中没有 "签署年度服务合同"
    当 过了 1 天
    那么 "承接社会组织" 的待办中有 "签署年度服务合同"
    # 投诉受理（04-18）至暂停期届满恢复签约（05-09）共21日，签订期限自 05-06 顺延为 05-22
    而且 "签署年度服务合同" 的办理期限是 2025-05-22

  场景: 质疑成立，重新组织采购
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成评审，演示组织 1 排名第一并经采购人确认
    当 "采购代理机构" 办理 "发布中标（成交）结果公告"：
      | awardNoticeRef | CJ-2025-021 |
    而且 收到消息 "purchase_challenge_received"：
      | challenger | 上海某物业服务有限公司 |
      | content    | 资格审查标准前后不一  |
    而且 "街道购买服务项目经办人" 办理 "答复质疑"：
      | answerText      | 经复核，资格审查有误，质疑成立 |
      | challengeUpheld | true                      |
    那么 已向外发出消息 "purchase_challenge_answered"
    而且 "承接社会组织" 的待办中没有 "签署年度服务合同"
    而且 "街道购买服务项目经办人" 的待办中有 "废标后处理"

  场景: 采购意向公开未满30日，不能发布采购公告（§5.6 场景9）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-009 |
    那么 "采购代理机构" 的待办中没有 "发布采购公告"
    当 过了 29 天
    那么 "采购代理机构" 的待办中没有 "发布采购公告"
    当 过了 1 天
    那么 "采购代理机构" 的待办中有 "发布采购公告"

  场景: 属于负面清单（聘用社区工作者、劳务派遣）或不在指导性目录的事项不能购买（§5.6 场景10）
    当 "街道购买服务项目经办人" 发起 "政府购买社会组织服务" 流程
    而且 "街道购买服务项目经办人" 办理 "需求调研"：
      | needsSummary     | 社区工作人手不足 |
      | surveyMethods    | ["居委会座谈"]  |
      | beneficiaryCount | 0             |
    而且 "街道购买服务项目经办人" 办理 "项目立项申请"：
      | projectName       | 聘用社区工作者（劳务派遣） |
      | serviceCategory   | 社区治理                |
      | catalogueItemCode | SQ-04                  |
      | serviceContent    | 通过劳务派遣补充社区工作者  |
      | budgetYuan        | "300000.00"            |
      | fundSource        | 一般公共预算             |
      | awardTermYears    | 1                      |
      | specialCase       | 无                      |
      | preferredMethod   | AUTO                   |
    那么 案件以 "NOT_PURCHASABLE" 结束
    # 另一件不在指导性目录内的事项
    当 "街道购买服务项目经办人" 发起 "政府购买社会组织服务" 流程
    而且 "街道购买服务项目经办人" 办理 "需求调研"：
      | needsSummary     | 辖区道路需要修缮 |
      | surveyMethods    | ["问卷调查"]   |
      | beneficiaryCount | 1000          |
    而且 "街道购买服务项目经办人" 办理 "项目立项申请"：
      | projectName       | 小区道路修缮     |
      | serviceCategory   | 其他            |
      | catalogueItemCode | XX-99          |
      | serviceContent    | 小区内部道路维修  |
      | budgetYuan        | "200000.00"    |
      | fundSource        | 一般公共预算     |
      | awardTermYears    | 1              |
      | specialCase       | 无              |
      | preferredMethod   | AUTO           |
    那么 案件以 "NOT_PURCHASABLE" 结束

  场景: 服务项目不能采用询价，多年期须符合条件（§5.6 场景11）
    当 "街道购买服务项目经办人" 发起 "政府购买社会组织服务" 流程
    而且 "街道购买服务项目经办人" 办理 "需求调研"：
      | needsSummary     | 残疾人康复需求 |
      | surveyMethods    | ["入户走访"]  |
      | beneficiaryCount | 80           |
    而且 "街道购买服务项目经办人" 办理 "项目立项申请"：
      | projectName       | 残疾人社区康复服务 |
      | serviceCategory   | 助残             |
      | catalogueItemCode | SQ-02           |
      | serviceContent    | 社区康复训练与陪护 |
      | budgetYuan        | "300000.00"     |
      | fundSource        | 一般公共预算      |
      | awardTermYears    | 1               |
      | specialCase       | 无               |
      | preferredMethod   | RFQ             |
    那么 办理被拒绝，提示包含 "拟采用的采购方式：不是可选的值之一"
    而且 "街道购买服务项目经办人" 的待办中有 "项目立项申请"
    # 多年期一次采购须符合财政部令第102号的条件
    当 "街道购买服务项目经办人" 办理 "项目立项申请"：
      | projectName            | 残疾人社区康复服务 |
      | serviceCategory        | 助残             |
      | catalogueItemCode      | SQ-02           |
      | serviceContent         | 社区康复训练与陪护 |
      | budgetYuan             | "300000.00"     |
      | fundSource             | 一般公共预算      |
      | awardTermYears         | 3               |
      | multiYearConditionsMet | false           |
      | specialCase            | 无               |
      | preferredMethod        | AUTO            |
    那么 办理被拒绝，提示包含 "符合多年期条件：取值不正确"
    而且 案件状态为 "办理中"

  场景: 领导集体决策不同意立项
    当 "街道购买服务项目经办人" 发起 "政府购买社会组织服务" 流程
    而且 "街道购买服务项目经办人" 办理 "需求调研"：
      | needsSummary     | 青少年课后看护 |
      | surveyMethods    | ["问卷调查"]  |
      | beneficiaryCount | 120          |
    而且 "街道购买服务项目经办人" 办理 "项目立项申请"：
      | projectName       | 青少年课后看护服务 |
      | serviceCategory   | 妇女儿童          |
      | catalogueItemCode | SQ-03           |
      | serviceContent    | 放学后看护与课业辅导 |
      | budgetYuan        | "400000.00"     |
      | fundSource        | 福彩公益金        |
      | awardTermYears    | 1               |
      | specialCase       | 无               |
      | preferredMethod   | AUTO            |
    而且 "街道购买服务项目经办人" 办理 "事前绩效评估"：
      | necessity          | 双职工家庭需求                                                    |
      | feasibility        | 承接主体较少                                                     |
      | performanceTargets | [{"indicator": "服务人次", "kind": "产出", "target": "≥5000人次"}] |
      | conclusion         | 调整后立项                                                       |
    而且 "街道领导" 办理 "领导集体决策立项"：
      | approved    | false               |
      | meetingDate | 2025-01-20          |
      | opinion     | 与区级项目重复，暂不立项 |
    那么 案件以 "NOT_APPROVED" 结束

  场景: 预算未获批准
    当 "街道购买服务项目经办人" 发起 "政府购买社会组织服务" 流程
    而且 "街道购买服务项目经办人" 办理 "需求调研"：
      | needsSummary     | 独居老人助餐 |
      | surveyMethods    | ["问卷调查"] |
      | beneficiaryCount | 300        |
    而且 "街道购买服务项目经办人" 办理 "项目立项申请"：
      | projectName       | 独居老人助餐服务 |
      | serviceCategory   | 养老服务        |
      | catalogueItemCode | SQ-01          |
      | serviceContent    | 助餐服务        |
      | budgetYuan        | "600000.00"    |
      | fundSource        | 一般公共预算     |
      | awardTermYears    | 1              |
      | specialCase       | 无              |
      | preferredMethod   | AUTO           |
    而且 "街道购买服务项目经办人" 办理 "事前绩效评估"：
      | necessity          | 需求集中                                                       |
      | feasibility        | 可行                                                          |
      | performanceTargets | [{"indicator": "助餐人次", "kind": "产出", "target": "≥20000"}] |
      | conclusion         | 建议立项                                                       |
    而且 "街道领导" 办理 "领导集体决策立项"：
      | approved    | true       |
      | meetingDate | 2025-01-20 |
    而且 "街道财务人员" 办理 "预算审核"：
      | budgetSubject | 2080299 其他民政管理事务支出 |
    而且 收到消息 "purchase_budget_decided"：
      | approved | false            |
      | note     | 年度预算总额已用完 |
    那么 案件以 "NO_BUDGET" 结束

  场景: 财政年度开始前预算仍未批复
    当 "街道购买服务项目经办人" 发起 "政府购买社会组织服务" 流程
    而且 "街道购买服务项目经办人" 办理 "需求调研"：
      | needsSummary     | 独居老人助餐 |
      | surveyMethods    | ["问卷调查"] |
      | beneficiaryCount | 300        |
    而且 "街道购买服务项目经办人" 办理 "项目立项申请"：
      | projectName       | 独居老人助餐服务 |
      | serviceCategory   | 养老服务        |
      | catalogueItemCode | SQ-01          |
      | serviceContent    | 助餐服务        |
      | budgetYuan        | "600000.00"    |
      | fundSource        | 一般公共预算     |
      | awardTermYears    | 1              |
      | specialCase       | 无              |
      | preferredMethod   | AUTO           |
    而且 "街道购买服务项目经办人" 办理 "事前绩效评估"：
      | necessity          | 需求集中                                                       |
      | feasibility        | 可行                                                          |
      | performanceTargets | [{"indicator": "助餐人次", "kind": "产出", "target": "≥20000"}] |
      | conclusion         | 建议立项                                                       |
    而且 "街道领导" 办理 "领导集体决策立项"：
      | approved    | true       |
      | meetingDate | 2025-01-20 |
    而且 "街道财务人员" 办理 "预算审核"：
      | budgetSubject | 2080299 其他民政管理事务支出 |
    而且 过了 340 天
    那么 案件状态为 "等待中"
    当 过了 6 天
    那么 案件以 "NO_BUDGET" 结束

  场景: 废标后决定终止采购
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-015 |
    而且 过了 30 天
    而且 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-015 |
    而且 过了 13 天
    而且 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "580000.00", "compliant": true}] |
    那么 已向外发出消息 "purchase_tender_failed"
    当 "街道购买服务项目经办人" 办理 "废标后处理"：
      | nextStep        | 终止采购            |
      | requestedMethod | AUTO               |
      | reason          | 市场承接能力不足，改由街道自行实施 |
    那么 案件以 "PROCUREMENT_FAILED" 结束

  场景: 下一年度预算未获批准，提前结束
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成采购，成交供应商为演示组织 1
    而且 第 1 年度合同已签订、公告、备案并支付首期款
    而且 本年度监测报告均正常
    而且 本年度绩效评价为 86 分并已结算
    当 收到消息 "purchase_next_budget_decided"：
      | approved | false |
    而且 "街道购买服务项目经办人" 办理 "结果运用与归档"：
      | archiveRef | DA-2026-016 |
    那么 案件以 "ENDED_EARLY_NO_BUDGET" 结束

  场景: 严重未履约且逾期未整改，解除合同
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成采购，成交供应商为演示组织 1
    而且 第 1 年度合同已签订、公告、备案并支付首期款
    当 "承接社会组织" 办理 "提交监测报告"：
      | reportPeriod      | 第一季度          |
      | servicesDelivered | 仅完成计划的三成    |
      | ledgerUpdated     | false            |
    而且 "街道购买服务项目经办人" 办理 "绩效执行监控"：
      | monitoringResult | 严重未履约                  |
      | findings         | 上门探访未按计划开展，台账缺失 |
    那么 "承接社会组织" 的待办中有 "提交整改报告"
    # 2025-03-14 下达整改通知，15日期限末日 03-29 为星期六，顺延至 03-31
    而且 "提交整改报告" 的办理期限是 2025-03-31
    当 过了 17 天
    那么 "承接社会组织" 的待办中有 "提交整改报告"
    当 过了 1 天
    那么 "承接社会组织" 的待办中没有 "提交整改报告"
    而且 "街道购买服务项目经办人" 的待办中有 "解除合同"
    当 "街道购买服务项目经办人" 办理 "解除合同"：
      | terminationNoticeRef | JC-2025-001          |
      | terminationReason    | 严重未履约且逾期未整改 |
    那么 已向外发出消息 "purchase_reprocurement_requested"
    当 "街道购买服务项目经办人" 办理 "结果运用与归档"：
      | archiveRef | DA-2025-017 |
    那么 案件以 "TERMINATED_BREACH" 结束

  场景: 合同签订后2个工作日未公告，由街道领导督办
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成采购，成交供应商为演示组织 1
    当 "承接社会组织" 办理 "签署年度服务合同"：
      | contractNo | HT-2025-18  |
      | amountYuan | "580000.00" |
      | termStart  | 2025-04-01  |
      | termEnd    | 2026-03-31  |
    而且 过了 2 个工作日
    那么 "街道领导" 的待办中有 "督办：合同公告超期"
    而且 "街道购买服务项目经办人" 的待办中有 "公告合同"

  场景: 达到公开招标数额的唯一供应商项目，经批准并公示5个工作日后采用单一来源
    假如 购买服务项目已立项并获得预算：
      | budgetYuan  | "1500000.00" |
      | specialCase | 唯一供应商      |
    那么 已向外发出消息 "purchase_method_approval_request"
    当 收到消息 "purchase_method_approval_decided"：
      | approved    | true             |
      | approvalRef | 长财采〔2025〕9号 |
    那么 已向外发出消息 "purchase_single_source_notice"
    而且 "街道购买服务项目经办人" 的待办中没有 "公开采购意向"
    当 过了 5 个工作日
    那么 "街道购买服务项目经办人" 的待办中有 "公开采购意向"

  场景: 限额以下项目按内部规定采购，无须公开采购意向
    假如 购买服务项目已立项并获得预算：
      | budgetYuan     | "200000.00" |
      | awardTermYears | 1           |
    那么 "街道购买服务项目经办人" 的待办中没有 "公开采购意向"
    而且 "采购代理机构" 的待办中有 "发布采购公告"
    当 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 街道门户网站   |
      | platformListingId | GXPT-2025-020 |
    那么 审计记录中有 "message_sent"，内容包含 ""procurementMethod": "INTERNAL""

  场景: 严重未履约经整改验收合格，继续绩效监控
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成采购，成交供应商为演示组织 1
    而且 第 1 年度合同已签订、公告、备案并支付首期款
    当 "承接社会组织" 办理 "提交监测报告"：
      | reportPeriod      | 第一季度       |
      | servicesDelivered | 助餐点停运两周 |
      | ledgerUpdated     | true          |
    而且 "街道购买服务项目经办人" 办理 "绩效执行监控"：
      | monitoringResult | 严重未履约          |
      | findings         | 助餐服务中断未报告 |
    而且 "承接社会组织" 办理 "提交整改报告"：
      | rectificationReport | 已恢复助餐并增设备用厨房 |
    而且 "街道购买服务项目经办人" 办理 "整改验收"：
      | rectificationPassed | true       |
      | opinion             | 整改到位    |
    那么 "承接社会组织" 的待办中有 "提交监测报告"
    而且 "街道购买服务项目经办人" 的待办中没有 "解除合同"

  场景: 合同期满时下一年度预算仍未批复，提前结束
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    而且 已完成采购，成交供应商为演示组织 1
    而且 第 1 年度合同已签订、公告、备案并支付首期款
    而且 本年度监测报告均正常
    而且 本年度绩效评价为 92 分并已结算
    那么 已向外发出消息 "purchase_next_budget_request"
    当 过了 366 天
    那么 "街道购买服务项目经办人" 的待办中有 "结果运用与归档"
    当 "街道购买服务项目经办人" 办理 "结果运用与归档"：
      | archiveRef | DA-2026-023 |
    那么 案件以 "ENDED_EARLY_NO_BUDGET" 结束

  场景: 成交供应商不是发起时的组织，确认成交后案件交由成交组织签约
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-009 |
    而且 过了 30 天
    而且 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-009 |
    而且 过了 13 天
    而且 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "580000.00", "compliant": true}, {"supplierName": "新华路街道邻里互助协会", "supplierUscc": "51310105MJ4Y2K7AXU", "supplierType": "社会团体", "assessmentGrade": "3A", "priceYuan": "570000.00", "compliant": true}, {"supplierName": "上海某物业服务有限公司", "supplierUscc": "91330100716105852F", "supplierType": "企业", "assessmentGrade": "无", "priceYuan": "560000.00", "compliant": true}] |
    而且 "评审小组" 办理 "评审打分"：
      | panelSize   | 5 |
      | expertCount | 4 |
      | scores      | [{"supplierUscc": "52310105MJ12345020", "score": 84}, {"supplierUscc": "51310105MJ4Y2K7AXU", "score": 91}, {"supplierUscc": "91330100716105852F", "score": 80}] |
    而且 "街道购买服务项目经办人" 办理 "确认中标（成交）供应商"：
      | confirmationOpinion | 按评审排序确认新华路街道邻里互助协会成交 |
    那么 审计记录中有 "case_handed_over"，内容包含 "51310105MJ4Y2K7AXU"
    当 "采购代理机构" 办理 "发布中标（成交）结果公告"：
      | awardNoticeRef | CJ-2025-009 |
    而且 过了 8 个工作日
    那么 "承接社会组织" 的待办中没有 "签署年度服务合同"
    假如 申请组织是演示组织 2
    那么 "承接社会组织" 的待办中有 "签署年度服务合同"

  # 第二轮法律问题（issue 8 第5项）：以下场景在修正前失败
  场景: 公开招标的评标委员会不足5人的，评审无效，须重新组建评审（财政部令第87号 第四十七条）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "1500000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-011 |
    而且 过了 30 天
    而且 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-011 |
    而且 过了 21 天
    而且 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "1450000.00", "compliant": true}, {"supplierName": "新华路街道邻里互助协会", "supplierUscc": "51310105MJ4Y2K7AXU", "supplierType": "社会团体", "assessmentGrade": "3A", "priceYuan": "1480000.00", "compliant": true}, {"supplierName": "上海某物业服务有限公司", "supplierUscc": "91330100716105852F", "supplierType": "企业", "assessmentGrade": "无", "priceYuan": "1300000.00", "compliant": true}] |
    而且 "评审小组" 办理 "评审打分"：
      | 评审小组人数 | 3 |
      | 其中专家人数 | 2 |
      | 评分         | [{"supplierUscc": "52310105MJ12345020", "score": 90}, {"supplierUscc": "51310105MJ4Y2K7AXU", "score": 85}, {"supplierUscc": "91330100716105852F", "score": 80}] |
    那么 "评审小组" 的待办中有 "评审打分"
    而且 "街道购买服务项目经办人" 的待办中没有 "确认中标（成交）供应商"
    而且 审计记录中有 "message_sent"，内容包含 "公开招标、邀请招标的评标委员会成员人数应当为5人以上单数"
    当 "评审小组" 办理 "评审打分"：
      | 评审小组人数 | 5 |
      | 其中专家人数 | 4 |
      | 评分         | [{"supplierUscc": "52310105MJ12345020", "score": 90}, {"supplierUscc": "51310105MJ4Y2K7AXU", "score": 85}, {"supplierUscc": "91330100716105852F", "score": 80}] |
    那么 "街道购买服务项目经办人" 的待办中有 "确认中标（成交）供应商"

  场景: 得分相同而报价不同的，报价低者优先，不适用社会组织优先（财政部令第87号 第六十五条；财库〔2014〕214号 第二十四条）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-012 |
    而且 过了 30 天
    而且 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-012 |
    而且 过了 13 天
    而且 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "580000.00", "compliant": true}, {"supplierName": "上海某物业服务有限公司", "supplierUscc": "91330100716105852F", "supplierType": "企业", "assessmentGrade": "无", "priceYuan": "560000.00", "compliant": true}] |
    而且 "评审小组" 办理 "评审打分"：
      | 评审小组人数 | 3 |
      | 其中专家人数 | 3 |
      | 评分         | [{"supplierUscc": "52310105MJ12345020", "score": 88.5}, {"supplierUscc": "91330100716105852F", "score": 88.5}] |
    而且 "街道购买服务项目经办人" 办理 "确认中标（成交）供应商"：
      | 确认意见 | 得分相同，按报价由低到高确认 |
    而且 "采购代理机构" 办理 "发布中标（成交）结果公告"：
      | awardNoticeRef | CJ-2025-012 |
    那么 审计记录中有 "message_sent"，内容包含 ""winnerName": "上海某物业服务有限公司""
    而且 审计记录中有 "message_sent"，内容包含 "得分相同的，按报价由低到高排序"

  场景: 评分超过两位小数的不予接受，不得四舍五入（评分最多保留两位小数）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan | "600000.00" |
    当 "街道购买服务项目经办人" 办理 "公开采购意向"：
      | intentionPublishedDate | 2025-01-20    |
      | intentionRef           | ZCYX-2025-013 |
    而且 过了 30 天
    而且 "采购代理机构" 办理 "发布采购公告"：
      | noticeMedia       | 上海政府采购网    |
      | platformListingId | GXPT-2025-013 |
    而且 过了 13 天
    而且 "采购代理机构" 办理 "登记投标（响应）文件并资格审查"：
      | bids | [{"supplierName": "华阳社区睦邻服务社", "supplierUscc": "52310105MJ12345020", "supplierType": "社会服务机构", "assessmentGrade": "4A", "priceYuan": "580000.00", "compliant": true}, {"supplierName": "上海某物业服务有限公司", "supplierUscc": "91330100716105852F", "supplierType": "企业", "assessmentGrade": "无", "priceYuan": "580000.00", "compliant": true}] |
    而且 "评审小组" 办理 "评审打分"：
      | 评审小组人数 | 3 |
      | 其中专家人数 | 3 |
      | 评分         | [{"supplierUscc": "52310105MJ12345020", "score": 88.5}, {"supplierUscc": "91330100716105852F", "score": 88.504}] |
    那么 "评审小组" 的待办中有 "评审打分"
    而且 "街道购买服务项目经办人" 的待办中没有 "确认中标（成交）供应商"
    而且 审计记录中有 "message_sent"，内容包含 "评分最多保留两位小数"

  场景: 因紧急情况采用单一来源的，无须单一来源公示（政府采购法实施条例 第三十八条仅适用于唯一供应商情形）
    假如 购买服务项目已立项并获得预算：
      | budgetYuan  | "1500000.00" |
      | specialCase | 紧急          |
    那么 已向外发出消息 "purchase_method_approval_request"
    当 收到消息 "purchase_method_approval_decided"：
      | approved    | true              |
      | approvalRef | 长财采〔2025〕10号 |
    那么 尚未向外发出消息 "purchase_single_source_notice"
    而且 "街道购买服务项目经办人" 的待办中有 "公开采购意向"
