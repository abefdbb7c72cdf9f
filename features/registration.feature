# language: zh-CN
功能: 社区社会组织成立登记与备案
  街道作为业务主管单位审查同意后，发起人向区民政局申请成立登记（社团条例第九条至第十三条）；
  符合直接登记类别的直接向区民政局申请；未达到登记条件的社区社会组织由街道备案（domain.md §4）。

  背景:
    假如 案件在 "华阳路街道" 办理
    而且 申请组织是演示组织 1

  # §4.7 场景1（正常流程，REGISTERED）
  场景: 社会团体经街道同意后准予登记
    假如 今天是 2025-02-10
    当 "社会组织发起人" 发起 "社区社会组织成立登记" 流程
    而且 "社区社会组织服务中心" 办理 "前期咨询"：
      | 字段                  | 值                             |
      | orgType               | SOCIAL_GROUP                   |
      | category              | 其他                           |
      | proposedName          | 上海市华阳路街道睦邻互助协会   |
      | memberCountIndividual | 62                             |
      | memberCountUnit       | 0                              |
      | funds                 | "50000.00"                     |
      | hasFixedDomicile      | true                           |
      | fullTimeStaffCount    | 2                              |
    那么 发出的消息 "registration_consultation_advice" 中 "meetsConditions" 为 true
    当 "社会组织发起人" 办理 "准备申请材料"：
      | 字段                            | 值                                                                                               |
      | orgType                         | SOCIAL_GROUP                                                                                     |
      | proposedName                    | 上海市华阳路街道睦邻互助协会                                                                     |
      | purpose                         | 弘扬邻里互助精神，服务社区居民                                                                   |
      | businessScope                   | 邻里互助、为老服务、社区志愿服务                                                                 |
      | activityArea                    | 华阳路街道                                                                                       |
      | domicileAddress                 | 上海市长宁区华阳路街道某路100号                                                                  |
      | premisesProofType               | 租赁合同                                                                                         |
      | activityFunds                   | "50000.00"                                                                                       |
      | fundsSource                     | 个人出资                                                                                         |
      | capitalVerificationRef          | YZ-2025-001                                                                                      |
      | memberCountIndividual           | 62                                                                                               |
      | memberCountUnit                 | 0                                                                                                |
      | fullTimeStaffCount              | 2                                                                                                |
      | legalRepName                    | 张某                                                                                             |
      | legalRepIdNumber                | 11010519491231002X                                                                               |
      | legalRepPhone                   | "13800138000"                                                                                    |
      | isLegalRepOfOtherSocialGroup    | false                                                                                            |
      | legalRepPoliticalRightsDeprived | false                                                                                            |
      | legalRepFullCivilCapacity       | true                                                                                             |
      | partyMembersCount               | 4                                                                                                |
      | materials                       | ["登记申请书", "验资报告或资信证明", "住所使用权证明", "发起人和拟任负责人基本情况及身份证明", "章程草案", "会员名册"] |
    那么 "材料完整性审查" 的办理期限是 2025-02-17
    当 "街道社区自治办经办人" 办理 "材料完整性审查"：
      | complete | true |
    那么 "街道社区自治办经办人" 的待办中有 "名称、宗旨和业务范围审查"
    而且 "街道社区自治办经办人" 的待办中有 "发起人和拟任负责人背景审查"
    而且 "居民委员会" 的待办中有 "社区需求与重复性审查"
    而且 "党建指导员" 的待办中有 "党建工作评估"
    而且 "名称、宗旨和业务范围审查" 的办理期限是 2025-03-10
    当 "街道社区自治办经办人" 办理 "名称、宗旨和业务范围审查"：
      | nameCompliant    | true                               |
      | purposeCompliant | true                               |
      | opinion          | 名称规范，宗旨和业务范围适合社区服务 |
    而且 "街道社区自治办经办人" 办理 "发起人和拟任负责人背景审查"：
      | backgroundClear | true       |
      | opinion         | 无不良记录 |
    而且 "居民委员会" 办理 "社区需求与重复性审查"：
      | residentNeed    | true               |
      | duplicateExists | false              |
      | opinion         | 本社区尚无同类组织 |
    而且 "党建指导员" 办理 "党建工作评估"：
      | partyMembersCount | 4                    |
      | opinion           | 党员4名，建立党支部 |
    那么 "街道领导" 的待办中有 "街道党工委（主任办公会）审议"
    当 过了 12 天
    而且 "街道领导" 办理 "街道党工委（主任办公会）审议"：
      | consent       | true                 |
      | approvalDocNo | 华阳街道〔2025〕12号 |
    那么 发出的消息 "registration_supervisor_approval" 中 "approvalDocNo" 为 华阳街道〔2025〕12号
    假如 今天是 2025-03-03
    当 "社会组织发起人" 办理 "网上提交登记申请"：
      | materials   | ["登记申请书", "业务主管单位批准文件", "验资报告或资信证明", "住所使用权证明", "发起人和拟任负责人基本情况及身份证明", "章程草案", "会员名册"] |
      | declaration | true |
    而且 "区民政局社会组织登记窗口" 办理 "网上预审与窗口受理"：
      | outcome | ACCEPT |
    那么 发出的消息 "registration_acceptance_receipt" 中 "completeDocsReceivedDate" 为 "2025-03-03"
    而且 发出的消息 "registration_acceptance_receipt" 中 "decisionDeadline" 为 "2025-05-06"
    假如 今天是 2025-03-20
    当 "区民政局社会组织管理科" 办理 "实质审查"：
      | recommendation | GRANT        |
      | opinion        | 符合登记条件 |
    而且 "区民政局分管局领导" 办理 "登记决定"：
      | decision | GRANTED |
    那么 "制发登记证书" 的办理期限是 2025-04-03
    当 "区民政局社会组织登记窗口" 办理 "制发登记证书"：
      | uscc                 | 51310105MJ4Y2K7AXU |
      | certificateNo        | 长民社证字第0001号 |
      | certificateIssueDate | 2025-03-21         |
    那么 发出的消息 "registration_certificate_issued" 中 "uscc" 为 51310105MJ4Y2K7AXU
    而且 已向外发出消息 "registration_establishment_notice"
    而且 已向外发出消息 "registration_certificate_copy"
    当 收到消息 "seal_engraving_filed"：
      | sealNo | 3101050012345 |
    而且 收到消息 "bank_account_opened"：
      | bankAccountNo | 31001234567890 |
    而且 "社会组织发起人" 办理 "印章式样和银行账号备案"：
      | sealSpecimenFiled | true           |
      | bankName          | 上海银行长宁支行 |
      | bankAccountNo     | "31001234567890" |
      | filingDate        | 2025-04-10     |
    那么 案件以 "REGISTERED" 结束

  # §4.7 场景2（FILED，legalPerson=false）
  场景: 会员不足、没有资金的舞蹈队转入备案并备案成功
    假如 今天是 2025-03-03
    当 "社会组织发起人" 发起 "社区社会组织成立登记" 流程
    而且 "社区社会组织服务中心" 办理 "前期咨询"：
      | orgType               | SOCIAL_GROUP         |
      | category              | 文体类               |
      | proposedName          | 华阳路街道晨光舞蹈队 |
      | memberCountIndividual | 18                   |
      | memberCountUnit       | 0                    |
      | funds                 | "0.00"               |
      | hasFixedDomicile      | false                |
      | fullTimeStaffCount    | 0                    |
    那么 发出的消息 "registration_consultation_advice" 中 "meetsConditions" 为 false
    而且 发出的消息 "registration_consultation_advice" 中 "problems" 包含 "会员数不足"
    而且 发出的消息 "registration_consultation_advice" 中 "problems" 包含 "活动资金不足"
    而且 "社会组织发起人" 的待办中有 "填报备案材料"
    而且 "社会组织发起人" 的待办中没有 "准备申请材料"
    当 "社会组织发起人" 办理 "填报备案材料"：
      | groupName           | 华阳路街道晨光舞蹈队 |
      | groupType           | 文体                 |
      | residentsCommittee  | 华阳居民委员会       |
      | leaderName          | 李某                 |
      | leaderIdNumber      | 11010519491231002X   |
      | leaderPhone         | "13912345678"        |
      | memberCount         | 18                   |
      | activityVenue       | 华阳社区文化活动中心 |
      | charterBasedOnModel | true                 |
    那么 "居委会初审" 的办理期限是 2025-03-10
    当 "居民委员会" 办理 "居委会初审"：
      | passed               | true           |
      | initialReviewOpinion | 材料齐全，同意 |
    而且 "街道社区自治办经办人" 办理 "街道审核备案"：
      | accept              | true           |
      | filingNo            | HY-BA-2025-018 |
      | streetReviewOpinion | 准予备案       |
    那么 发出的消息 "filing_receipt" 中 "legalPerson" 为 false
    而且 发出的消息 "filing_receipt" 中 "note" 包含 "不具有法人资格"
    而且 案件以 "FILED" 结束

  # §4.7 场景3（混合会员数边界）
  场景大纲: 社会团体会员数：个人会员满50、单位会员满30或混合总数满50
    假如 今天是 2025-03-03
    当 "社会组织发起人" 发起 "社区社会组织成立登记" 流程
    而且 "社区社会组织服务中心" 办理 "前期咨询"：
      | orgType               | SOCIAL_GROUP     |
      | category              | 其他             |
      | proposedName          | 华阳路街道测试会 |
      | memberCountIndividual | <个人会员>       |
      | memberCountUnit       | <单位会员>       |
      | funds                 | "30000.00"       |
      | hasFixedDomicile      | true             |
      | fullTimeStaffCount    | 1                |
    那么 发出的消息 "registration_consultation_advice" 中 "meetsConditions" 为 <符合>
    而且 "社会组织发起人" 的待办中有 "<下一步>"

    例子:
      | 个人会员 | 单位会员 | 符合  | 下一步       |
      | 40       | 12       | true  | 准备申请材料 |
      | 30       | 15       | false | 填报备案材料 |

  # §4.7 场景4（一次性补正告知，期限自补正之日起算）
  场景: 登记窗口一次性告知补正，法定期限自补正材料收到之日起算
    假如 今天是 2025-03-03
    而且 "上海市华阳路街道睦邻互助协会" 已向区民政局提交登记申请
    当 过了 1 个工作日
    而且 "区民政局社会组织登记窗口" 办理 "网上预审与窗口受理"：
      | outcome      | CORRECTION                     |
      | missingItems | ["住所使用权证明", "会员名册"] |
    那么 发出的消息 "registration_correction_notice" 中 "missingItems" 为 ["住所使用权证明", "会员名册"]
    而且 未向外发出消息 "registration_acceptance_receipt"
    而且 "社会组织发起人" 的待办中有 "补正登记申请材料"
    当 过了 5 个工作日
    那么 未向外发出消息 "registration_deemed_accepted"
    当 "社会组织发起人" 办理 "补正登记申请材料"：
      | withdraw  | false                                                                                                                                  |
      | materials | ["登记申请书", "业务主管单位批准文件", "验资报告或资信证明", "住所使用权证明", "发起人和拟任负责人基本情况及身份证明", "章程草案", "会员名册"] |
    而且 "区民政局社会组织登记窗口" 办理 "网上预审与窗口受理"：
      | outcome | ACCEPT |
    那么 发出的消息 "registration_acceptance_receipt" 中 "completeDocsReceivedDate" 为 "2025-03-13"
    而且 发出的消息 "registration_acceptance_receipt" 中 "decisionDeadline" 为 "2025-05-12"

  # §4.7 场景5（视为受理，行政许可法第三十二条(四)）
  场景: 登记窗口5个工作日内未告知补正的视为受理并提醒科长
    假如 今天是 2025-03-03
    而且 "上海市华阳路街道睦邻互助协会" 已向区民政局提交登记申请
    那么 "网上预审与窗口受理" 的办理期限是 2025-03-10
    当 过了 4 个工作日
    那么 未向外发出消息 "registration_deemed_accepted"
    当 过了 1 个工作日
    那么 审计记录中有 "timer_fired"
    而且 发出的消息 "registration_deemed_accepted" 中 "acceptedAsOf" 为 "2025-03-03"
    而且 发出的消息 "registration_acceptance_receipt" 中 "deemedAccepted" 为 true
    而且 发出的消息 "registration_acceptance_receipt" 中 "completeDocsReceivedDate" 为 "2025-03-03"
    而且 "区民政局社会组织登记窗口" 的待办中没有 "网上预审与窗口受理"
    而且 "区民政局社会组织管理科" 的待办中有 "实质审查"

  # 行政许可法第三十二条(四)：期限届满即视为受理，定时任务服务停机期间也一样；逾期的补正告知不再有效
  场景: 定时任务服务停机期间5个工作日届满，逾期的补正告知被拒绝，申请视为受理
    假如 今天是 2025-03-03
    而且 "上海市华阳路街道睦邻互助协会" 已向区民政局提交登记申请
    当 定时任务服务停止期间过了 5 个工作日
    而且 "区民政局社会组织登记窗口" 办理 "网上预审与窗口受理"：
      | outcome      | CORRECTION                     |
      | missingItems | ["住所使用权证明", "会员名册"] |
    那么 办理被拒绝，提示包含 "期限已过"
    而且 发出的消息 "registration_deemed_accepted" 中 "acceptedAsOf" 为 "2025-03-03"
    而且 未向外发出消息 "registration_correction_notice"
    而且 "区民政局社会组织登记窗口" 的待办中没有 "网上预审与窗口受理"
    而且 "区民政局社会组织管理科" 的待办中有 "实质审查"

  # §4.7 场景6。2025-04-01 起算60日，末日 2025-05-31 适逢端午假期（5/31–6/2），依民法典第二百零三条顺延至 2025-06-03
  场景: 超过60日法定期限未作决定的，先预警后升级至局长并标记超期
    假如 今天是 2025-04-01
    而且 区民政局已受理 "上海市华阳路街道睦邻互助协会" 的登记申请
    那么 发出的消息 "registration_acceptance_receipt" 中 "decisionDeadline" 为 "2025-06-03"
    当 过了 48 天
    那么 未向外发出消息 "registration_statutory_deadline_warning"
    当 过了 1 天
    那么 已向外发出消息 "registration_statutory_deadline_warning"
    而且 "区民政局社会组织管理科" 的待办中有 "实质审查"
    当 过了 12 天
    那么 未向外发出消息 "registration_statutory_deadline_breached"
    而且 "区民政局社会组织管理科" 的待办中有 "实质审查"
    当 过了 3 天
    那么 发出的消息 "registration_statutory_deadline_breached" 中 "flag" 为 "STATUTORY_DEADLINE_BREACHED"
    而且 "区民政局局长" 的待办中有 "法定期限届满督办决定"
    而且 "区民政局社会组织管理科" 的待办中没有 "实质审查"
    当 "区民政局局长" 办理 "法定期限届满督办决定"：
      | decision          | GRANTED                          |
      | breachExplanation | 审查人员调整导致超期，已责令整改 |
    那么 "区民政局社会组织登记窗口" 的待办中有 "制发登记证书"

  # §4.7 场景7（REFUSED_BY_REGISTRAR）
  场景: 同一行政区域内已有业务范围相同的社会团体，不予登记并告知救济途径
    假如 今天是 2025-04-01
    而且 区民政局已受理 "上海市华阳路街道睦邻互助协会" 的登记申请
    当 "区民政局社会组织管理科" 办理 "实质审查"：
      | recommendation | REFUSE                                     |
      | refusalGround  | 13_2                                       |
      | opinion        | 本区已有长宁区睦邻互助协会，业务范围相同 |
    而且 "区民政局分管局领导" 办理 "登记决定"：
      | decision      | REFUSED                                              |
      | refusalGround | 13_2                                                 |
      | refusalReason | 长宁区已登记长宁区睦邻互助协会，业务范围相同，没有必要成立 |
    那么 发出的消息 "registration_refusal_decision" 中 "ground" 包含 "业务范围相同或者相似的社会团体"
    而且 发出的消息 "registration_refusal_decision" 中 "remedies" 包含 "60日内依法申请行政复议"
    # 行政复议法 第二十条：自知道或者应当知道该行政行为之日起六十日内
    而且 发出的消息 "registration_refusal_decision" 中 "remedies" 包含 "自知道或者应当知道该决定之日起60日内"
    而且 发出的消息 "registration_refusal_decision" 中 "remedies" 包含 "6个月内依法向人民法院提起行政诉讼"
    而且 案件以 "REFUSED_BY_REGISTRAR" 结束

  # §4.7 场景8（表单拦截）
  场景: 拟任法定代表人兼任其他社会团体法定代表人、名称冠以“中国”的，表单拒绝提交
    假如 今天是 2025-03-03
    而且 服务中心已就 "上海市华阳路街道睦邻互助协会" 完成前期咨询
    当 发起人提交 "上海市华阳路街道睦邻互助协会" 的申请材料，其中：
      | isLegalRepOfOtherSocialGroup | true |
    那么 办理被拒绝，提示包含 "社会团体的法定代表人，不得同时担任其他社会团体的法定代表人"
    而且 "社会组织发起人" 的待办中有 "准备申请材料"
    而且 案件状态为 "办理中"
    当 发起人提交 "上海市华阳路街道睦邻互助协会" 的申请材料，其中：
      | proposedName | 中国华阳睦邻互助协会 |
    那么 办理被拒绝，提示包含 "名称不得冠以“中国”“全国”“中华”字样"
    当 发起人提交 "上海市华阳路街道睦邻互助协会" 的申请材料，其中：
      | isLegalRepOfOtherSocialGroup | false |
    那么 办理成功
    而且 "街道社区自治办经办人" 的待办中有 "材料完整性审查"

  # §4.7 场景9（校验器的提示不给出应为的校验码，故以“校验位不正确”代替“校验码应为 3”）
  场景: 统一社会信用代码不合法的不能制发登记证书；超过10个工作日未发证的提醒科长
    假如 今天是 2025-03-20
    而且 区民政局已准予 "上海市华阳路街道睦邻互助协会" 登记
    当 "区民政局社会组织登记窗口" 办理 "制发登记证书"：
      | uscc                 | 52310105MJ1234502O |
      | certificateNo        | 长民社证字第0001号 |
      | certificateIssueDate | 2025-03-21         |
    那么 办理被拒绝，提示包含 "不使用字母 I、O、S、V、Z（含有 O）"
    而且 "区民政局社会组织登记窗口" 的待办中有 "制发登记证书"
    当 "区民政局社会组织登记窗口" 办理 "制发登记证书"：
      | uscc                 | 91350100M000100Y4Z |
      | certificateNo        | 长民社证字第0001号 |
      | certificateIssueDate | 2025-03-21         |
    那么 办理被拒绝，提示包含 "不使用字母 I、O、S、V、Z（含有 Z）"
    而且 "区民政局社会组织登记窗口" 的待办中有 "制发登记证书"
    当 "区民政局社会组织登记窗口" 办理 "制发登记证书"：
      | uscc                 | 91350100M000100Y44 |
      | certificateNo        | 长民社证字第0001号 |
      | certificateIssueDate | 2025-03-21         |
    那么 办理被拒绝，提示包含 "校验位不正确"
    而且 "区民政局社会组织登记窗口" 的待办中有 "制发登记证书"
    当 过了 9 个工作日
    那么 未向外发出消息 "registration_certificate_overdue"
    当 过了 1 个工作日
    那么 已向外发出消息 "registration_certificate_overdue"
    而且 "区民政局社会组织登记窗口" 的待办中有 "制发登记证书"
    当 "区民政局社会组织登记窗口" 办理 "制发登记证书"：
      | uscc                 | 51310105MJ4Y2K7AXU |
      | certificateNo        | 长民社证字第0001号 |
      | certificateIssueDate | 2025-04-08         |
    那么 办理成功
    而且 发出的消息 "registration_certificate_issued" 中 "uscc" 为 51310105MJ4Y2K7AXU

  # §4.7 场景10（WITHDRAWN）
  场景: 申请人逾期未补正的视为撤回
    假如 今天是 2025-03-03
    而且 发起人已就 "上海市华阳路街道睦邻互助协会" 提交申请材料
    当 "街道社区自治办经办人" 办理 "材料完整性审查"：
      | complete     | false              |
      | missingItems | ["住所使用权证明"] |
    那么 发出的消息 "registration_correction_notice" 中 "missingItems" 为 ["住所使用权证明"]
    而且 "补正申请材料" 的办理期限是 2025-04-02
    当 过了 30 天
    那么 "社会组织发起人" 的待办中有 "补正申请材料"
    当 过了 1 天
    那么 案件以 "WITHDRAWN" 结束

  # §4.7 场景11（直接登记，supervisingUnit = null）
  场景: 城乡社区服务类直接登记，跳过街道审查，不设业务主管单位
    假如 今天是 2025-03-03
    当 "社会组织发起人" 发起 "社区社会组织成立登记" 流程
    而且 "社区社会组织服务中心" 办理 "前期咨询"：
      | orgType               | SOCIAL_GROUP               |
      | category              | 城乡社区服务类             |
      | proposedName          | 上海市华阳路街道为老服务社 |
      | memberCountIndividual | 55                         |
      | memberCountUnit       | 0                          |
      | funds                 | "30000.00"                 |
      | hasFixedDomicile      | true                       |
      | fullTimeStaffCount    | 1                          |
    那么 发出的消息 "registration_consultation_advice" 中 "directRegistration" 为 true
    当 发起人提交 "上海市华阳路街道为老服务社" 的申请材料，其中：
      | memberCountIndividual | 55 |
    那么 "社会组织发起人" 的待办中有 "网上提交登记申请"
    而且 "街道社区自治办经办人" 的待办中没有 "材料完整性审查"
    当 "社会组织发起人" 办理 "网上提交登记申请"：
      | materials   | ["登记申请书", "验资报告或资信证明", "住所使用权证明", "发起人和拟任负责人基本情况及身份证明", "章程草案", "会员名册"] |
      | declaration | true |
    而且 "区民政局社会组织登记窗口" 办理 "网上预审与窗口受理"：
      | outcome | ACCEPT |
    那么 发出的消息 "registration_acceptance_receipt" 中 "supervisingUnit" 为 null
    当 "区民政局社会组织管理科" 办理 "实质审查"：
      | recommendation | GRANT        |
      | opinion        | 符合直接登记条件 |
    而且 "区民政局分管局领导" 办理 "登记决定"：
      | decision | GRANTED |
    而且 "区民政局社会组织登记窗口" 办理 "制发登记证书"：
      | uscc                 | 51310105MJ4Y2K7AXU |
      | certificateNo        | 长民社证字第0002号 |
      | certificateIssueDate | 2025-03-04         |
    那么 已向外发出消息 "registration_certificate_issued"
    而且 未向外发出消息 "registration_certificate_copy"

  # REFUSED_BY_SUPERVISOR；街道审查时限 [U]
  场景: 街道审查超期督办后，街道不同意作为业务主管单位，书面说明理由和救济途径
    假如 今天是 2025-03-03
    而且 街道已完成对 "上海市华阳路街道睦邻互助协会" 的并行审查
    那么 "街道党工委（主任办公会）审议" 的办理期限是 2025-03-31
    当 过了 20 个工作日
    那么 已向外发出消息 "registration_street_review_overdue"
    而且 "街道领导" 的待办中有 "街道党工委（主任办公会）审议"
    当 "街道领导" 办理 "街道党工委（主任办公会）审议"：
      | consent      | false                                    |
      | rejectReason | 本街道已有睦邻互助类社会团体，不再新设 |
    那么 发出的消息 "registration_supervisor_refusal" 中 "reason" 包含 "不再新设"
    而且 发出的消息 "registration_supervisor_refusal" 中 "remedies" 包含 "行政复议"
    而且 案件以 "REFUSED_BY_SUPERVISOR" 结束

  # maxCorrections [U] 用完
  场景: 补正两次仍不齐全的，街道不同意
    假如 今天是 2025-03-03
    而且 发起人已就 "上海市华阳路街道睦邻互助协会" 提交申请材料
    当 "街道社区自治办经办人" 办理 "材料完整性审查"：
      | complete     | false              |
      | missingItems | ["住所使用权证明"] |
    而且 "社会组织发起人" 办理 "补正申请材料"：
      | withdraw  | false            |
      | materials | ["登记申请书"]   |
    而且 "街道社区自治办经办人" 办理 "材料完整性审查"：
      | complete     | false              |
      | missingItems | ["住所使用权证明"] |
    而且 "社会组织发起人" 办理 "补正申请材料"：
      | withdraw  | false            |
      | materials | ["登记申请书"]   |
    而且 "街道社区自治办经办人" 办理 "材料完整性审查"：
      | complete     | false              |
      | missingItems | ["住所使用权证明"] |
    那么 发出的消息 "registration_supervisor_refusal" 中 "reason" 包含 "经补正仍不齐全"
    而且 案件以 "REFUSED_BY_SUPERVISOR" 结束

  # NOT_ACCEPTED（行政许可法第三十二条(二)）
  场景: 申请事项不属于本机关职权的，不予受理并告知有权机关
    假如 今天是 2025-03-03
    而且 "上海市华阳路街道睦邻互助协会" 已向区民政局提交登记申请
    当 "区民政局社会组织登记窗口" 办理 "网上预审与窗口受理"：
      | outcome            | NOT_WITHIN_AUTHORITY |
      | competentAuthority | 上海市民政局         |
    那么 发出的消息 "registration_not_accepted" 中 "reason" 包含 "请向上海市民政局申请"
    而且 案件以 "NOT_ACCEPTED" 结束

  # WITHDRAWN（申请人撤回）
  场景: 申请人在登记机关补正阶段撤回申请
    假如 今天是 2025-03-03
    而且 "上海市华阳路街道睦邻互助协会" 已向区民政局提交登记申请
    当 "区民政局社会组织登记窗口" 办理 "网上预审与窗口受理"：
      | outcome      | CORRECTION         |
      | missingItems | ["住所使用权证明"] |
    而且 "社会组织发起人" 办理 "补正登记申请材料"：
      | withdraw | true |
    那么 案件以 "WITHDRAWN" 结束

  # FILING_REFUSED（备案子流程单独发起）
  场景: 社区群众活动团队直接申请备案，人数不足被退回，补正后街道不予备案
    假如 今天是 2025-03-03
    当 "社会组织发起人" 发起 "社区社会组织备案" 流程
    而且 "社会组织发起人" 办理 "填报备案材料"：
      | groupName           | 华阳路街道夕阳红合唱队 |
      | groupType           | 文体                   |
      | residentsCommittee  | 华阳居民委员会         |
      | leaderName          | 王某                   |
      | leaderIdNumber      | 11010519491231002X     |
      | leaderPhone         | "13912345678"          |
      | memberCount         | 6                      |
      | activityVenue       | 王某住宅客厅           |
      | charterBasedOnModel | true                   |
    而且 "居民委员会" 办理 "居委会初审"：
      | passed               | true     |
      | initialReviewOpinion | 材料齐全 |
    那么 发出的消息 "filing_return_notice" 中 "reasons" 包含 "成员人数不足"
    当 "社会组织发起人" 办理 "修改备案材料"：
      | groupName           | 华阳路街道夕阳红合唱队 |
      | groupType           | 文体                   |
      | residentsCommittee  | 华阳居民委员会         |
      | leaderName          | 王某                   |
      | leaderIdNumber      | 11010519491231002X     |
      | leaderPhone         | "13912345678"          |
      | memberCount         | 25                     |
      | activityVenue       | 王某住宅客厅           |
      | charterBasedOnModel | true                   |
    而且 "居民委员会" 办理 "居委会初审"：
      | passed               | true       |
      | initialReviewOpinion | 同意报街道 |
    而且 "街道社区自治办经办人" 办理 "街道审核备案"：
      | accept              | false                                      |
      | streetReviewOpinion | 活动场所为私人住宅，不符合公共活动场所要求 |
    那么 发出的消息 "filing_refusal_notice" 中 "reason" 包含 "私人住宅"
    而且 案件以 "FILING_REFUSED" 结束

  # 第二轮法律问题（issue 8 第5项）：以下场景在修正前失败
  场景: 申请材料中的会员数和活动资金低于法定条件的，退回发起人并说明理由，不进入街道审查（社团条例 第十条）
    假如 今天是 2025-03-03
    而且 服务中心已就 "上海市华阳路街道睦邻互助协会" 完成前期咨询
    当 发起人提交 "上海市华阳路街道睦邻互助协会" 的申请材料，其中：
      | 个人会员数              | 49         |
      | 活动资金/开办资金（元） | "29999.99" |
    那么 "街道社区自治办经办人" 的待办中没有 "材料完整性审查"
    而且 "社会组织发起人" 的待办中有 "准备申请材料"
    而且 发出的消息 "registration_application_returned" 中 "problems" 包含 "会员数不足"
    而且 发出的消息 "registration_application_returned" 中 "problems" 包含 "须有3万元以上活动资金"
    当 发起人提交 "上海市华阳路街道睦邻互助协会" 的申请材料，其中：
      | 个人会员数              | 50         |
      | 活动资金/开办资金（元） | "30000.00" |
    那么 "街道社区自治办经办人" 的待办中有 "材料完整性审查"

  场景: 以申请登记时弄虚作假为由不予登记的，理由不再使用已取消的“申请筹备”表述
    假如 今天是 2025-04-01
    而且 区民政局已受理 "上海市华阳路街道睦邻互助协会" 的登记申请
    当 "区民政局社会组织管理科" 办理 "实质审查"：
      | 审查建议     | 建议不予登记                           |
      | 不予登记理由 | 在申请登记时弄虚作假（第十三条第四项） |
      | 审查意见     | 验资报告与银行流水不符                 |
    而且 "区民政局分管局领导" 办理 "登记决定"：
      | 决定         | 不予登记                               |
      | 不予登记理由 | 在申请登记时弄虚作假（第十三条第四项） |
      | 理由说明     | 验资报告与银行流水不符                 |
    那么 发出的消息 "registration_refusal_decision" 中 "ground" 包含 "在申请登记时弄虚作假"
    而且 案件以 "REFUSED_BY_REGISTRAR" 结束
